"""The page « Ce que le fournisseur d'identité nous a transmis »: the Response of the sign-in,
decrypted, checked again and explained.

The raw Response (base64, as posted to the ACS) is kept in the session. Its encrypted assertion
is decrypted with the site's own key, in place (the Assertion replaces the EncryptedAssertion),
and ``idp.inspect`` (the provider's own explanation of its responses) checks both documents
against the signing certificates of the provider's metadata, with this site's entity ID as the
expected audience and the site's clock:

- the Response as received: its own signature, and the fact that the assertion was encrypted;
- the decrypted Response: the assertion's signature, conditions, NameID and attributes.

Decrypting changes the Response (its signature covered the EncryptedAssertion), so the
Response signature of the second inspection is not a finding: :func:`combine` keeps the one of
the first.

``idp.inspect`` verifies with the provider's :class:`~idp.keystore.KeyStore`, which a service
provider does not have: :func:`provider_keystore` builds one, read-only and public keys only,
from the certificates of the provider's metadata.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, RSAKey
from lxml import etree

from demo_rp.amf.sp import SamlError, safe_xml
from idp.inspect import (
    Item,
    Report,
    SignatureCheck,
    SignatureStatus,
    Text,
    headline,
    inspect_saml,
)
from idp.inspect.render import STATUS_LABELS
from idp.inspect.saml import RESPONSE
from idp.inspect.timing import format_moment
from idp.keystore import KeyEntry, KeyState, KeyStore, SigningKey

SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
XENC_NS = "http://www.w3.org/2001/04/xmlenc#"
METADATA_PATH = "/saml/metadata"

DECRYPTED_NOTE = Text(
    "L'assertion était chiffrée pour ce site seul (EncryptedAssertion) : déchiffrée ici avec "
    "notre clé privée, sa signature, ses conditions et ses attributs sont vérifiés ci-dessous.",
    "The assertion was encrypted for this site alone (EncryptedAssertion): decrypted here with "
    "our private key, its signature, conditions and attributes are checked below.",
)


# -- the provider's keys, as a service provider knows them ---------------------------------------


def provider_keystore(certificates: Iterable[x509.Certificate], now: datetime) -> KeyStore:
    """The signing certificates of the provider's metadata as the :class:`KeyStore` that
    ``idp.inspect`` reads (``published()`` and each entry's ``kid``, ``kty``, ``state`` and
    ``certificate_pem``). The keys are public: nothing can be signed with this store.

    Each key's ``kid`` is the RFC 7638 thumbprint of its public key, as the provider names its
    keys (and its JWKS does). The metadata lists the current and the next certificate without
    saying which is which: every key is entered as :attr:`KeyState.PUBLISHED`.
    """
    entries = []
    for certificate in certificates:
        public = certificate.public_key()
        key: SigningKey
        if isinstance(public, rsa.RSAPublicKey):
            key = RSAKey.import_key(public)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            key = ECKey.import_key(public)
        else:
            continue  # the provider signs with RSA and EC keys only
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        # created_at is not published; idp.inspect does not read it.
        entries.append(
            KeyEntry(key.thumbprint(), key.key_type, KeyState.PUBLISHED, now, key, None, pem)
        )
    # No retired entry: the clock and the retention are never consulted.
    return KeyStore(entries, lambda: now, timedelta(0))


def issuer_of(metadata_url: str) -> str | None:
    """The provider's OIDC issuer, from which its entity ID is derived (``<issuer>/saml/metadata``,
    the URL its metadata is read from); None when the URL has another shape."""
    if metadata_url.endswith(METADATA_PATH):
        return metadata_url.removesuffix(METADATA_PATH)
    return None


# -- decoding and decrypting -------------------------------------------------------------------


def decode_response(raw_base64: str) -> bytes:
    try:
        return base64.b64decode(raw_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SamlError("malformed_response", "not base64") from exc


def decrypt_assertions(root: etree._Element, key_file: Path) -> int:
    """Replace each EncryptedAssertion by the Assertion it carries; how many there were."""
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(str(key_file), xmlsec.constants.KeyDataFormatPem))
    count = 0
    for encrypted in list(root.iter(f"{{{SAML_NS}}}EncryptedAssertion")):
        data = encrypted.find(f"{{{XENC_NS}}}EncryptedData")
        if data is None:
            raise SamlError("malformed_response", "EncryptedAssertion without EncryptedData")
        try:
            assertion = xmlsec.EncryptionContext(manager).decrypt(data)
        except xmlsec.Error as exc:
            raise SamlError("decryption_failed", str(exc)) from exc
        parent = encrypted.getparent()
        if parent is None or not isinstance(assertion, etree._Element):
            raise SamlError("decryption_failed", "the content is not an element")
        parent.replace(encrypted, assertion)
        count += 1
    return count


# -- the two inspections, as one report --------------------------------------------------------


def _responses(checks: Iterable[SignatureCheck]) -> list[SignatureCheck]:
    return [check for check in checks if check.target == RESPONSE]


def combine(received: Report, opened: Report) -> Report:
    """One report from the inspection of the Response as received and of the same Response
    with its assertion decrypted in place.

    From ``received``: the Response signature (checked on the bytes signed) and its problems.
    From ``opened``: the assertion's signature, dates, sections and problems, except what its
    Response signature says: decrypting changed what that signature covers.
    """
    stale = {check.reason for check in _responses(opened.signatures) if check.reason}
    unchecked = {
        check.reason
        for check in received.signatures
        if check.status is SignatureStatus.UNCHECKED and check.reason
    }
    merged = Report(received.kind, received.now, payload=opened.payload)
    merged.signatures = [
        *_responses(received.signatures),
        *(check for check in opened.signatures if check.target != RESPONSE),
    ]
    merged.times = list(opened.times)
    merged.problems = list(received.problems)
    for problem in opened.problems:
        if problem not in merged.problems and problem.message not in stale:
            merged.problems.append(problem)
    titles = {section.title for section in opened.sections}
    merged.sections = [
        *opened.sections,
        *(section for section in received.sections if section.title not in titles),
    ]
    merged.notes = [DECRYPTED_NOTE]
    for note in (*received.notes, *opened.notes):
        if note not in merged.notes and note not in unchecked:
            merged.notes.append(note)
    return merged


# -- what the page shows ---------------------------------------------------------------------------


def shown_values(item: Item) -> list[str]:
    """An item's value as lines: each value of a SAML attribute, or the one value."""
    if item.display:
        return [item.display]
    values = item.value if isinstance(item.value, list) else [item.value]
    return [
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        for value in values
        if value is not None
    ]


@dataclass(frozen=True)
class Transmitted:
    raw_base64: str
    # The Response with its assertion decrypted, pretty-printed.
    xml: str
    # How many assertions were encrypted (and decrypted here).
    decrypted: int
    # The checks of both documents, as one; None when the provider's certificates are unknown.
    report: Report | None = None
    # Why the assertion could not be decrypted (the report is then the Response as received).
    decryption_problem: str | None = None

    def verdict(self, lang: str) -> str | None:
        return headline(self.report, lang) if self.report is not None else None

    @property
    def valid(self) -> bool:
        return self.report is not None and self.report.valid

    @property
    def signatures(self) -> list[tuple[str, SignatureCheck]]:
        """Each signature with what it covers: ``response`` or ``assertion``."""
        if self.report is None:
            return []
        return [
            ("response" if check.target == RESPONSE else "assertion", check)
            for check in self.report.signatures
        ]

    @property
    def name_id(self) -> Item | None:
        if self.report is None:
            return None
        return next(
            (
                item
                for section in self.report.sections
                for item in section.items
                if item.name == "NameID"
            ),
            None,
        )

    @staticmethod
    def status_label(check: SignatureCheck) -> Text:
        return STATUS_LABELS[check.status]

    @staticmethod
    def moment(value: datetime) -> str:
        return format_moment(value)

    @staticmethod
    def values(item: Item) -> list[str]:
        return shown_values(item)


def pretty(root: etree._Element) -> str:
    parser = etree.XMLParser(
        remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False
    )
    tidy = etree.fromstring(etree.tostring(root), parser)
    return etree.tostring(tidy, pretty_print=True, encoding="unicode")


def transmitted(
    raw_base64: str,
    key_file: Path,
    *,
    certificates: Sequence[x509.Certificate] | None = None,
    now: datetime | None = None,
    metadata_url: str | None = None,
    audience: str | None = None,
) -> Transmitted:
    """The Response decoded and decrypted with the site's key (``key_file``); inspected too when
    the provider's signing ``certificates`` and ``now`` (the site's clock) are given, the issuer
    derived from the provider's ``metadata_url``, ``audience`` the site's entity ID.

    Raises :class:`SamlError` when the Response cannot even be read.
    """
    data = decode_response(raw_base64)
    root = safe_xml(data)
    if certificates is None or now is None:
        decrypted = decrypt_assertions(root, key_file)
        return Transmitted(raw_base64, pretty(root), decrypted)
    keystore = provider_keystore(certificates, now)
    issuer = issuer_of(metadata_url) if metadata_url else None
    received = inspect_saml(data, keystore, now, issuer=issuer, audience=audience)
    try:
        decrypted = decrypt_assertions(root, key_file)
    except SamlError as exc:
        # The Response is still shown and checked as received: its assertion stays sealed.
        return Transmitted(raw_base64, received.payload, 0, received, exc.reason)
    if not decrypted:
        return Transmitted(raw_base64, received.payload or pretty(root), 0, received)
    opened = inspect_saml(etree.tostring(root), keystore, now, issuer=issuer, audience=audience)
    report = combine(received, opened)
    return Transmitted(raw_base64, report.payload or pretty(root), decrypted, report)
