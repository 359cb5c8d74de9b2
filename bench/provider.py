"""The provider as production runs it, on a fresh database: settings, keys, relying parties,
migrations, demo data and the benchmark accounts.

Registered relying parties (one TOML file each, in a temporary directory, as a ministry sends
them; secrets made like ``idp clients secret`` makes them, only their SHA-256 registered):

- ``bench-rs256`` and ``bench-es256``: MELCCFP back-ends, ``client_credentials`` only,
  ``client_secret_basic``; access tokens are signed with the client's
  ``id_token_signed_response_alg`` (``idp/oidc/server.py``, ``generate_token``), RS256 and ES256;
- ``bench-web``: an IQEA-like site, ``authorization_code`` and ``refresh_token``,
  ``client_secret_basic``, PKCE, an IQEA right required;
- ``https://bench-sp.example/saml``: a MELCCFP SAML service provider, signed AuthnRequests,
  plain (signed, not encrypted) assertions.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bench.paths import PYTHON, ROOT

CALLBACK = "http://127.0.0.1:9/callback"
SP_ENTITY_ID = "https://bench-sp.example/saml"
WEB_SCOPES = [
    "openid",
    "profile",
    "email",
    "enterprise",
    "melccfp.iqea.operator",
    "melccfp.iqea.verifier",
]
BENCH_DATABASE = "bench_idp"


@dataclass(frozen=True)
class Backend:
    name: str
    label: str
    database_url: str | None
    redis_url: str | None


@dataclass
class ServiceProviderFiles:
    entity_id: str
    key_file: Path
    cert_file: Path

    @property
    def acs(self) -> str:
        return f"{self.entity_id}/acs"


@dataclass
class ProviderFiles:
    """What the runs of one harness invocation share: keys, registrations, secrets."""

    run_dir: Path
    keys_dir: Path
    relying_parties_dir: Path
    secrets: dict[str, str] = field(default_factory=dict)
    sp: ServiceProviderFiles | None = None

    @classmethod
    def create(cls, run_dir: Path, issuer_for_keys: str) -> ProviderFiles:
        from idp.clock import utc_now
        from idp.keystore import generate_keys

        files = cls(run_dir, run_dir / "keys", run_dir / "relying_parties")
        generate_keys(files.keys_dir, utc_now, issuer_for_keys)
        files.relying_parties_dir.mkdir(parents=True)
        files._register_clients()
        files._register_service_provider()
        return files

    def _secret(self, client_id: str) -> str:
        from idp.relying_parties import new_client_secret

        value, digest = new_client_secret()
        self.secrets[client_id] = value
        return digest

    def _register_clients(self) -> None:
        for client_id, alg in (("bench-rs256", "RS256"), ("bench-es256", "ES256")):
            _write_toml(
                self.relying_parties_dir / f"{client_id}.toml",
                {
                    "kind": "oidc",
                    "client_id": client_id,
                    "ministry": "melccfp",
                    "name_fr": f"Traitement par lots ({alg})",
                    "name_en": f"Batch processing ({alg})",
                    "token_endpoint_auth_method": "client_secret_basic",
                    "client_secret_sha256": self._secret(client_id),
                    "id_token_signed_response_alg": alg,
                    "grant_types": ["client_credentials"],
                    "scopes": [],
                },
            )
        _write_toml(
            self.relying_parties_dir / "bench-web.toml",
            {
                "kind": "oidc",
                "client_id": "bench-web",
                "ministry": "melccfp",
                "name_fr": "Inventaire des émissions (banc d'essai)",
                "name_en": "Emissions inventory (benchmark)",
                "redirect_uris": [CALLBACK],
                "token_endpoint_auth_method": "client_secret_basic",
                "client_secret_sha256": self._secret("bench-web"),
                "id_token_signed_response_alg": "RS256",
                "grant_types": ["authorization_code", "refresh_token"],
                "scopes": WEB_SCOPES,
                "required_rights": ["melccfp.iqea.operator", "melccfp.iqea.verifier"],
            },
        )

    def _register_service_provider(self) -> None:
        directory = self.run_dir / "sp"
        directory.mkdir()
        key, certificate = _key_pair("bench-sp")
        sp = ServiceProviderFiles(SP_ENTITY_ID, directory / "sp.key", directory / "sp.crt")
        sp.key_file.write_bytes(key)
        sp.cert_file.write_bytes(certificate)
        self.sp = sp
        (self.relying_parties_dir / "bench-sp-metadata.xml").write_text(sp_metadata(sp), "utf-8")
        _write_toml(
            self.relying_parties_dir / "bench-sp.toml",
            {
                "kind": "saml",
                "entity_id": SP_ENTITY_ID,
                "ministry": "melccfp",
                "name_fr": "Vérification IQEA (banc d'essai)",
                "name_en": "IQEA verification (benchmark)",
                "metadata_file": "bench-sp-metadata.xml",
                "required_rights": [],
                "authn_requests_signed": True,
                "encrypt_assertions": False,
            },
        )


def sp_config(sp: ServiceProviderFiles, idp_metadata: str | None = None) -> dict[str, Any]:
    """pysaml2's SP configuration (as in tests/saml/conftest.py)."""
    from saml2 import BINDING_HTTP_POST
    from saml2.saml import NAME_FORMAT_URI
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    config: dict[str, Any] = {
        "entityid": sp.entity_id,
        "key_file": str(sp.key_file),
        "cert_file": str(sp.cert_file),
        "service": {
            "sp": {
                "endpoints": {"assertion_consumer_service": [(sp.acs, BINDING_HTTP_POST)]},
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


def sp_metadata(sp: ServiceProviderFiles) -> str:
    from saml2.config import SPConfig
    from saml2.metadata import create_metadata_string

    config = SPConfig()
    config.load(sp_config(sp))
    return str(create_metadata_string(None, config=config, valid=None, sign=False), "utf-8")


def _key_pair(name: str) -> tuple[bytes, bytes]:
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
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return (
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        certificate.public_bytes(serialization.Encoding.PEM),
    )


def _write_toml(path: Path, fields: dict[str, Any]) -> None:
    # JSON strings, numbers, booleans and arrays of strings are valid TOML values.
    lines = [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    path.write_text("\n".join(lines) + "\n", "utf-8")


# -- one backend --------------------------------------------------------------------------------


def provider_env(
    files: ProviderFiles, backend: Backend, *, port: int, smtp_port: int, instance_dir: Path
) -> dict[str, str]:
    """The provider's settings for this run, and nothing inherited that could change them."""
    empty_config = files.run_dir / "empty-idp.toml"
    empty_config.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update(
        {
            # `production` refuses a plain-http issuer, and the benchmark has no TLS in front;
            # `development` differs from it only in making keys when missing (the keys here
            # are made beforehand) and in warnings (idp/__init__.py, idp/config.py).
            "IDP_ENV": "development",
            "IDP_CONFIG_FILE": str(empty_config),
            "IDP_ISSUER": f"http://127.0.0.1:{port}",
            "IDP_SECRET_KEY": secrets.token_urlsafe(48),
            "IDP_KEYS_DIR": str(files.keys_dir),
            "IDP_RELYING_PARTIES_DIR": str(files.relying_parties_dir),
            "IDP_INSTANCE_DIR": str(instance_dir),
            "IDP_SMTP_HOST": "127.0.0.1",
            "IDP_SMTP_PORT": str(smtp_port),
            "IDP_SMTP_STARTTLS": "false",
            # Behind one reverse proxy, as in production: each virtual browser or back-end
            # comes from its own address (X-Forwarded-For), so per-address limits apply to
            # each as they would to real people, and none is raised for the benchmark.
            "IDP_TRUSTED_PROXY_COUNT": "1",
        }
    )
    if backend.database_url:
        env["IDP_DATABASE_URL"] = backend.database_url
    if backend.redis_url:
        env["IDP_REDIS_URL"] = backend.redis_url
    return env


def reset_database(backend: Backend) -> None:
    """A fresh PostgreSQL database for the run (SQLite: a new file in a new instance folder)."""
    if not backend.database_url or not backend.database_url.startswith("postgresql"):
        return
    base, _slash, name = backend.database_url.rpartition("/")
    admin = sa.create_engine(
        f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def migrate_and_seed(env: dict[str, str], accounts: int, out: Path, log: Path) -> list[dict]:
    idp = str(PYTHON.parent / "idp")
    with log.open("ab") as sink:
        for command in (
            [idp, "db", "upgrade"],
            [idp, "demo", "seed"],
            [str(PYTHON), "-m", "bench.seed", "--accounts", str(accounts), "--out", str(out)],
        ):
            subprocess.run(  # noqa: S603 (the project's own commands)
                command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, check=True
            )
    return list(json.loads(out.read_text("utf-8")))
