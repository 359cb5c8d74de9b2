"""The AMF site as a SAML 2.0 service provider of clicSÉQUR (pysaml2).

- Entity ID ``<base>/saml/metadata``, ACS ``<base>/saml/acs`` (HTTP-POST), SLO ``<base>/saml/slo``
  (HTTP-Redirect).
- AuthnRequests and LogoutRequests/Responses are signed (Redirect binding: RSA-SHA256 over the
  query); responses and assertions must be signed; assertions arrive encrypted to the key of
  the site's metadata.
- The key pair and its self-signed certificate are made on first use in the instance folder
  (``saml/sp.key``, ``saml/sp.crt``), never in git.
- The provider's metadata is fetched from its URL at first use and kept for a few hours.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from demo_rp.amf import settings as env
from demo_rp.amf.settings import Settings

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
KEY_SIZE = 2048
CERTIFICATE_DAYS = 3 * 365
HTTP_TIMEOUT_SECONDS = 5
# After a failed refresh of the provider's metadata, the next attempt.
RETRY_SECONDS = 60
ORGANIZATION_FR = "Autorité des marchés financiers"
ORGANIZATION_EN = "Autorité des marchés financiers (Financial Markets Authority)"


class SamlError(Exception):
    """A SAML message this site does not accept; ``reason`` is a short code for the page."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# -- endpoints ----------------------------------------------------------------------------------


def entity_id(base_url: str) -> str:
    return f"{base_url}/saml/metadata"


def acs_url(base_url: str) -> str:
    return f"{base_url}/saml/acs"


def slo_url(base_url: str) -> str:
    return f"{base_url}/saml/slo"


# -- key pair -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    key_file: Path
    cert_file: Path


def key_pair(instance_dir: Path) -> KeyPair:
    """The site's key and certificate, made on first use (the key readable by its owner only)."""
    directory = instance_dir / "saml"
    pair = KeyPair(directory / "sp.key", directory / "sp.crt")
    if pair.key_file.exists() and pair.cert_file.exists() and not _expires_soon(pair.cert_file):
        return pair
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CA"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Québec"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION_FR),
            x509.NameAttribute(NameOID.COMMON_NAME, "AMF – services en ligne (démonstration)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERTIFICATE_DAYS))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(pair.key_file, key_pem)
    pair.cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return pair


def _write_private(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    temporary.replace(path)


def _expires_soon(cert_file: Path) -> bool:
    certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return certificate.not_valid_after_utc < dt.datetime.now(dt.UTC) + dt.timedelta(days=7)


# -- pysaml2 configuration and metadata ---------------------------------------------------------


def sp_config(base_url: str, pair: KeyPair, idp_metadata: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "entityid": entity_id(base_url),
        "key_file": str(pair.key_file),
        "cert_file": str(pair.cert_file),
        "encryption_keypairs": [{"key_file": str(pair.key_file), "cert_file": str(pair.cert_file)}],
        "service": {
            "sp": {
                "name": ORGANIZATION_FR,
                "endpoints": {
                    "assertion_consumer_service": [(acs_url(base_url), BINDING_HTTP_POST)],
                    "single_logout_service": [(slo_url(base_url), BINDING_HTTP_REDIRECT)],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_response_signed": True,
                "want_assertions_signed": True,
                "allow_unsolicited": False,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "name_id_policy_format": NAMEID_FORMAT_PERSISTENT,
                "name_id_format_allow_create": True,
                "name_form": NAME_FORMAT_URI,
            }
        },
        "organization": {
            "name": [(ORGANIZATION_FR, "fr"), (ORGANIZATION_EN, "en")],
            "display_name": [(ORGANIZATION_FR, "fr"), (ORGANIZATION_EN, "en")],
            "url": [(base_url, "fr"), (base_url, "en")],
        },
        "allow_unknown_attributes": True,
        # Seconds of clock difference tolerated with the provider.
        "accepted_time_diff": 60,
    }
    if idp_metadata is not None:
        config["metadata"] = {"inline": [idp_metadata]}
    return config


def metadata_xml(base_url: str, instance_dir: Path) -> str:
    """The site's SP metadata (unsigned: the provider reads it from its own directory)."""
    config = SPConfig()
    config.load(sp_config(base_url, key_pair(instance_dir)))
    return str(create_metadata_string(None, config=config, valid=None, sign=False), "utf-8")


def write_metadata(
    path: str | Path,
    base_url: str | None = None,
    instance_dir: str | Path | None = None,
) -> Path:
    """Make the key pair if needed and write the SP metadata to ``path`` (for the provider).

    ``base_url`` and ``instance_dir`` default to ``AMF_BASE_URL`` and ``AMF_INSTANCE_DIR``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    xml = metadata_xml(env.base_url(base_url), env.instance_dir(instance_dir))
    target.write_text(xml, "utf-8")
    return target


# -- the provider -------------------------------------------------------------------------------


def safe_xml(data: bytes) -> etree._Element:
    """Parse XML from outside: no DTD, no entities, no network."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SamlError("malformed_xml", str(exc)) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise SamlError("unsafe_xml")
    return root


@dataclass(frozen=True)
class IdentityProvider:
    """What the site needs from the provider's metadata."""

    metadata: str
    entity_id: str
    signing_certificates: tuple[x509.Certificate, ...]
    fetched_at: float


def read_idp_metadata(data: bytes, fetched_at: float) -> IdentityProvider:
    root = safe_xml(data)
    if root.tag != f"{{{MD_NS}}}EntityDescriptor" or not root.get("entityID"):
        raise SamlError("idp_metadata", "one md:EntityDescriptor is expected")
    descriptors = root.findall(f"{{{MD_NS}}}IDPSSODescriptor")
    if len(descriptors) != 1:
        raise SamlError("idp_metadata", "one md:IDPSSODescriptor is expected")
    certificates = []
    for key in descriptors[0].iter(f"{{{MD_NS}}}KeyDescriptor"):
        if key.get("use") not in (None, "signing"):
            continue
        for element in key.iter(f"{{{DS_NS}}}X509Certificate"):
            der = base64.b64decode("".join((element.text or "").split()))
            certificates.append(x509.load_der_x509_certificate(der))
    if not certificates:
        raise SamlError("idp_metadata", "no signing certificate")
    return IdentityProvider(
        metadata=data.decode("utf-8"),
        entity_id=str(root.get("entityID")),
        signing_certificates=tuple(certificates),
        fetched_at=fetched_at,
    )


def fetch_over_http(url: str) -> bytes:
    response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
    response.raise_for_status()
    return response.content


class ServiceProvider:
    """The site's pysaml2 client, made when the provider's metadata is first needed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = key_pair(settings.instance_dir)
        self.entity_id = entity_id(settings.base_url)
        self.acs = acs_url(settings.base_url)
        self.slo = slo_url(settings.base_url)
        self._lock = threading.Lock()
        self._idp: IdentityProvider | None = None
        self._client: Saml2Client | None = None

    def metadata(self) -> str:
        config = SPConfig()
        config.load(sp_config(self.settings.base_url, self.keys))
        return str(create_metadata_string(None, config=config, valid=None, sign=False), "utf-8")

    def _current(self) -> tuple[IdentityProvider, Saml2Client]:
        with self._lock:
            idp, client = self._idp, self._client
            max_age = self.settings.idp_metadata_max_age_seconds
            if (
                idp is not None
                and client is not None
                and time.monotonic() - idp.fetched_at < max_age
            ):
                return idp, client
            fetch = self.settings.idp_metadata_fetcher or fetch_over_http
            try:
                data = fetch(self.settings.idp_metadata_url)
                raw = data.encode("utf-8") if isinstance(data, str) else data
                fresh = read_idp_metadata(raw, time.monotonic())
                config = SPConfig()
                config.load(sp_config(self.settings.base_url, self.keys, fresh.metadata))
                client, idp = Saml2Client(config), fresh
            except Exception as exc:  # unreachable, HTTP error, metadata not acceptable
                if idp is not None and client is not None:
                    # Keep the last good copy; try again in a minute.
                    retry_at = time.monotonic() - max_age + RETRY_SECONDS
                    self._idp = replace(idp, fetched_at=retry_at)
                    return idp, client
                if isinstance(exc, SamlError):
                    raise
                raise SamlError("idp_unreachable", str(exc)) from exc
            self._idp, self._client = idp, client
            return idp, client

    @property
    def idp(self) -> IdentityProvider:
        return self._current()[0]

    @property
    def client(self) -> Saml2Client:
        return self._current()[1]

    def _idp_slo_endpoint(self) -> dict[str, Any]:
        idp, client = self._current()
        for endpoint in client.metadata.single_logout_service(
            idp.entity_id, BINDING_HTTP_REDIRECT, "idpsso"
        ):
            return dict(endpoint)
        raise SamlError("idp_metadata", "no HTTP-Redirect single logout service")

    def idp_slo(self) -> str:
        """Where LogoutRequests go: the provider's Redirect single logout service."""
        return str(self._idp_slo_endpoint()["location"])

    def idp_slo_response(self) -> str:
        """Where LogoutResponses go: its ResponseLocation, or else its Location."""
        endpoint = self._idp_slo_endpoint()
        return str(endpoint.get("response_location") or endpoint["location"])


# -- the Redirect binding's signature -----------------------------------------------------------


def verify_redirect_signature(
    raw_query: bytes | str, field: str, certificates: tuple[x509.Certificate, ...]
) -> None:
    """Check the signature over the query string exactly as sent (SAML Bindings 3.4.4.1).

    Only RSA-SHA256 is accepted; any of the provider's certificates (current or next) may match.
    """
    query = raw_query.decode("ascii") if isinstance(raw_query, bytes) else raw_query
    pairs: dict[str, str] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _sep, value = part.partition("=")
        if name in pairs:
            raise SamlError("duplicate_parameter", name)
        pairs[name] = value
    if field not in pairs or "Signature" not in pairs or "SigAlg" not in pairs:
        raise SamlError("unsigned_message")
    if unquote_plus(pairs["SigAlg"]) != SIG_RSA_SHA256:
        raise SamlError("signature_algorithm", unquote_plus(pairs["SigAlg"])[:100])
    signed = "&".join(
        f"{name}={pairs[name]}" for name in (field, "RelayState", "SigAlg") if name in pairs
    ).encode("ascii")
    try:
        signature = base64.b64decode(unquote_plus(pairs["Signature"]), validate=True)
    except ValueError as exc:
        raise SamlError("bad_signature", "not base64") from exc
    for certificate in certificates:
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            continue
        try:
            public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return
    raise SamlError("bad_signature")
