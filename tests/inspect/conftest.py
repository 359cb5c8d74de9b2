"""Tokens as this provider issues them, helpers to take them apart and forge them, and the
files of a SAML service provider to register."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string

from idp.oidc.acr import ACR_PASSWORD_AND_EMAILED_CODE
from idp.oidc.issuance import sign, timestamp
from idp.runtime import Runtime

SUBJECT = "k3Jb0t4Qm9h8Gx2VvZr1yW5sNqPcLaDe7uFoTiMlXn0"


def id_token_claims(runtime: Runtime, **changes: Any) -> dict[str, Any]:
    """The claims of an ID token of a consultant under an external proxy (docs/claims.md)."""
    now = timestamp(runtime.clock())
    claims: dict[str, Any] = {
        "iss": runtime.settings.issuer,
        "aud": "iqea",
        "azp": "iqea",
        "iat": now,
        "exp": now + runtime.settings.oidc_id_token_lifetime_seconds,
        "auth_time": now - 30,
        "nonce": "n-0S6_WzA2Mj",
        "acr": ACR_PASSWORD_AND_EMAILED_CODE,
        "amr": ["pwd", "otp", "mfa"],
        "sid": "s-8f2c1d",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        "sub": SUBJECT,
        "name": "Karim Haddad",
        "given_name": "Karim",
        "family_name": "Haddad",
        "email": "karim.haddad@conseilsverts.example",
        "email_verified": True,
        "enterprise": {"neq": "1143256789", "name": "Aciérie Saint-Laurent inc."},
        "agent": {"neq": "1170000002", "name": "Conseils Verts Québec inc."},
        "role": "user",
        "rights": ["melccfp.iqea.verifier"],
    }
    claims.update(changes)
    return claims


def access_token_claims(runtime: Runtime) -> dict[str, Any]:
    now = timestamp(runtime.clock())
    return {
        "iss": runtime.settings.issuer,
        "aud": "iqea",
        "client_id": "iqea",
        "iat": now,
        "exp": now + runtime.settings.oidc_access_token_lifetime_seconds,
        "jti": "Yc1k0n2bJ3x",
        "scope": "openid enterprise melccfp.iqea.verifier",
        "sub": SUBJECT,
        "auth_time": now - 30,
        "acr": ACR_PASSWORD_AND_EMAILED_CODE,
        "amr": ["pwd", "otp", "mfa"],
        "sid": "s-8f2c1d",
        "authorization_details": [
            {
                "type": "clicsequr_rights",
                "ministry": "melccfp",
                "enterprise": "1143256789",
                "rights": ["melccfp.iqea.verifier"],
                "source": "external",
                "proxy_id": "42",
                "proxy_valid_until": "2027-06-30",
                "agent": "1170000002",
            }
        ],
    }


def id_token(runtime: Runtime, alg: str = "RS256", **changes: Any) -> str:
    return sign(runtime, alg, id_token_claims(runtime, **changes), "JWT")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode_part(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def decode_part(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


@dataclass(frozen=True)
class ServiceProviderFiles:
    entity_id: str
    key_file: Path
    cert_file: Path

    def metadata(self) -> str:
        """Its SAML metadata as a ministry would send it (signing and encryption key)."""
        config = SPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "encryption_keypairs": [
                    {"key_file": str(self.key_file), "cert_file": str(self.cert_file)}
                ],
                "service": {
                    "sp": {
                        "endpoints": {
                            "assertion_consumer_service": [
                                (f"{self.entity_id}/acs", BINDING_HTTP_POST)
                            ]
                        }
                    }
                },
            }
        )
        return str(create_metadata_string(None, config=config, valid=None, sign=False), "utf-8")


_SP_KEYS: dict[str, tuple[bytes, bytes]] = {}


def service_provider(directory: Path, entity_id: str) -> ServiceProviderFiles:
    """A service provider's key and self-signed certificate in ``directory`` (RSA keys are
    made once per run: generating them is slow)."""
    if entity_id not in _SP_KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "inspect test SP")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        _SP_KEYS[entity_id] = (
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            certificate.public_bytes(serialization.Encoding.PEM),
        )
    directory.mkdir(parents=True, exist_ok=True)
    key_pem, certificate_pem = _SP_KEYS[entity_id]
    files = ServiceProviderFiles(entity_id, directory / "sp.key", directory / "sp.crt")
    files.key_file.write_bytes(key_pem)
    files.cert_file.write_bytes(certificate_pem)
    return files
