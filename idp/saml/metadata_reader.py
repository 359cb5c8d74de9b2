"""What the provider needs from a service provider's metadata: endpoints and certificates."""

from __future__ import annotations

from dataclasses import dataclass

from idp.relying_parties import DSIG_NS, SAML_METADATA_NS, SpEndpoint
from idp.saml.safe_xml import UnsafeXmlError, parse

_NS = {"md": SAML_METADATA_NS, "ds": DSIG_NS}


@dataclass(frozen=True)
class SpMetadata:
    xml: str
    assertion_consumer_services: tuple[SpEndpoint, ...]
    single_logout_services: tuple[SpEndpoint, ...]
    signing_certificates: tuple[str, ...]
    encryption_certificates: tuple[str, ...]


def read_sp_metadata(data: bytes, entity_id: str) -> SpMetadata:
    try:
        root = parse(data)
    except UnsafeXmlError as exc:
        raise ValueError(f"metadata: {exc}") from exc
    if root.tag != f"{{{SAML_METADATA_NS}}}EntityDescriptor":
        raise ValueError("metadata: the root must be one md:EntityDescriptor")
    if root.get("entityID") != entity_id:
        raise ValueError(
            f"metadata: entityID {root.get('entityID')!r} differs from entity_id {entity_id!r}"
        )
    descriptors = root.findall("md:SPSSODescriptor", _NS)
    if len(descriptors) != 1:
        raise ValueError("metadata: exactly one md:SPSSODescriptor is expected")
    sp = descriptors[0]
    acs = tuple(
        SpEndpoint(
            binding=e.get("Binding", ""),
            location=e.get("Location", ""),
            index=_index(e.get("index")),
            is_default=e.get("isDefault", "false").strip().lower() in {"true", "1"},
        )
        for e in sp.findall("md:AssertionConsumerService", _NS)
    )
    acs = tuple(sorted(acs, key=lambda e: e.index if e.index is not None else 0))
    slo = tuple(
        SpEndpoint(
            binding=e.get("Binding", ""),
            location=e.get("Location", ""),
            response_location=e.get("ResponseLocation"),
        )
        for e in sp.findall("md:SingleLogoutService", _NS)
    )
    return SpMetadata(
        xml=data.decode("utf-8"),
        assertion_consumer_services=acs,
        single_logout_services=slo,
        signing_certificates=_certificates(sp, "signing"),
        encryption_certificates=_certificates(sp, "encryption"),
    )


def _certificates(sp: object, use: str) -> tuple[str, ...]:
    found = []
    for descriptor in sp.findall("md:KeyDescriptor", _NS):  # type: ignore[attr-defined]
        if descriptor.get("use") not in (None, use):
            continue
        for certificate in descriptor.findall(".//ds:X509Certificate", _NS):
            found.append("".join((certificate.text or "").split()))
    return tuple(found)


def _index(value: str | None) -> int:
    if value is None or not value.strip().isdigit():
        raise ValueError("metadata: every AssertionConsumerService needs a numeric index")
    return int(value)
