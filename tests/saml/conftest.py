"""SAML service providers registered for the tests, and pysaml2's SP client to drive them.

Registered in a temporary relying-parties directory (``relying_parties`` fixture), each with
its own metadata file, as a ministry would send it:

- ``https://amf.example.gouv.qc.ca/saml`` (AMF): signed AuthnRequests, encrypted assertions;
- ``https://iqea.example.gouv.qc.ca/saml`` (MELCCFP): signed requests, plain assertions,
  requires an IQEA right.

Service providers' keys are made once per run. The provider's clock follows the real time
(``WallClock``): the SP libraries stamp and check messages with the wall clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from tests.conftest import TEST_PASSWORD, Person
from tests.oidc.live_server import WallClock
from tests.proxies.conftest import register, second_client, world  # noqa: F401

AMF_SP = "https://amf.example.gouv.qc.ca/saml"
IQEA_SP = "https://iqea.example.gouv.qc.ca/saml"

_KEYS: dict[str, tuple[bytes, bytes]] = {}


def sp_key_pair(name: str) -> tuple[bytes, bytes]:
    """(private key PEM, certificate PEM) of a test SP, made once per run."""
    if name not in _KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        _KEYS[name] = (
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            certificate.public_bytes(serialization.Encoding.PEM),
        )
    return _KEYS[name]


@dataclass
class ServiceProvider:
    entity_id: str
    directory: Path

    @property
    def key_file(self) -> str:
        return str(self.directory / "sp.key")

    @property
    def cert_file(self) -> str:
        return str(self.directory / "sp.crt")

    @property
    def acs(self) -> str:
        return f"{self.entity_id}/acs"

    @property
    def slo(self) -> str:
        return f"{self.entity_id}/slo"

    def config(self, idp_metadata: str | None = None) -> dict[str, Any]:
        config: dict[str, Any] = {
            "entityid": self.entity_id,
            "key_file": self.key_file,
            "cert_file": self.cert_file,
            "encryption_keypairs": [{"key_file": self.key_file, "cert_file": self.cert_file}],
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(self.acs, BINDING_HTTP_POST)],
                        "single_logout_service": [(self.slo, BINDING_HTTP_REDIRECT)],
                    },
                    "authn_requests_signed": True,
                    "want_response_signed": True,
                    "want_assertions_signed": True,
                    "allow_unsolicited": False,
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                    "name_form": NAME_FORMAT_URI,
                }
            },
            "allow_unknown_attributes": True,
        }
        if idp_metadata is not None:
            config["metadata"] = {"inline": [idp_metadata]}
        return config

    def client(self, idp_metadata: str) -> Saml2Client:
        config = SPConfig()
        config.load(self.config(idp_metadata))
        return Saml2Client(config)

    def metadata(self) -> str:
        config = SPConfig()
        config.load(self.config())
        return str(create_metadata_string(None, config=config, valid=None, sign=False), "utf-8")


def _service_provider(base: Path, entity_id: str, name: str) -> ServiceProvider:
    directory = base / name
    directory.mkdir(parents=True)
    key, certificate = sp_key_pair(name)
    (directory / "sp.key").write_bytes(key)
    (directory / "sp.crt").write_bytes(certificate)
    return ServiceProvider(entity_id, directory)


@pytest.fixture
def amf_sp(tmp_path: Path) -> ServiceProvider:
    return _service_provider(tmp_path / "sps", AMF_SP, "amf")


@pytest.fixture
def iqea_sp(tmp_path: Path) -> ServiceProvider:
    return _service_provider(tmp_path / "sps", IQEA_SP, "iqea")


@pytest.fixture
def relying_parties(tmp_path: Path, amf_sp: ServiceProvider, iqea_sp: ServiceProvider) -> Path:
    directory = tmp_path / "relying_parties"
    directory.mkdir()
    registrations = [
        (amf_sp, "amf", "amf", "Autorité des marchés financiers", [], True),
        (iqea_sp, "iqea", "melccfp", "IQEA", ["melccfp.iqea.operator"], False),
    ]
    for sp, name, ministry, label, rights, encrypt in registrations:
        (directory / f"{name}-metadata.xml").write_text(sp.metadata(), "utf-8")
        (directory / f"{name}.toml").write_text(
            "\n".join(
                [
                    'kind = "saml"',
                    f'entity_id = "{sp.entity_id}"',
                    f'ministry = "{ministry}"',
                    f'name_fr = "{label}"',
                    f'name_en = "{label}"',
                    f'metadata_file = "{name}-metadata.xml"',
                    f"required_rights = {rights!r}".replace("'", '"'),
                    "authn_requests_signed = true",
                    f"encrypt_assertions = {'true' if encrypt else 'false'}",
                ]
            )
            + "\n",
            "utf-8",
        )
    return directory


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def app_config(app_config: dict[str, Any], relying_parties: Path) -> dict[str, Any]:
    app_config["relying_parties_dir"] = relying_parties
    return app_config


@pytest.fixture
def idp_metadata(client: Any) -> str:
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


@pytest.fixture
def esm_person(world: Any) -> Person:  # noqa: F811 (the imported fixture)
    return Person(world.esm, TEST_PASSWORD)
