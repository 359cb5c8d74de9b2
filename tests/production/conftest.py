"""The provider as production runs it, for the tests of issue #8 (workers, load, faults).

- ``prod_settings``: the ``IDP_*`` settings of every start, with a PostgreSQL database of this
  folder's own per xdist worker (``idp_prod_gw0``, ``idp_prod_gw1``…, on the server of
  ``IDP_TEST_DATABASE_URL`` or 127.0.0.1:5432), dropped and made again once per run, then
  migrated by ``idp db upgrade`` with ``IDP_DATABASE_URL``, the only way production makes its
  schema. PostgreSQL must be running: without it these tests fail, saying so.
- ``prod_redis_url``: a Redis database per xdist worker, counted down from 7 (the rest of the
  suite counts down from 15), emptied before the session's server and the lock tests' server
  start. Tests use client addresses of their own (``new_ip``), so counters never mix.
- ``seed``: the app built in the test process on the same database, used only for its services
  (enterprises, accounts, a registration at the MELCCFP) and to count rows afterwards.
- ``idp_server``: ``gunicorn -c config/gunicorn.conf.py idp.wsgi:app`` with two workers and the
  production profile (``IDP_ENV=production``, an ``https://`` issuer behind a trusted reverse
  proxy, SMTP to the suite's aiosmtpd capture), shared by the tests of the session;
  ``start_idp`` starts further ones with other settings (a proxied database or Redis, other
  throttle limits), stopped after the test.

Relying parties registered (``prod_relying_parties``): ``prod-rp`` and ``load-rp`` (MELCCFP,
``client_secret_basic``, authorization code and refresh tokens), ``prod-batch`` and
``load-batch`` (``client_credentials``), ``prod-jwt`` (``private_key_jwt``,
``client_credentials``), and the SAML service provider ``https://sp.prod.test/saml`` (signed
AuthnRequests).

Every test of this folder runs in one xdist group (``--dist loadgroup``, what ``dev.py test``
uses): one set of gunicorn servers at a time on a two-core machine.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask

from idp import create_app
from idp.accounts.models import AccountRole
from idp.accounts.passwords import normalize_password
from idp.accounts.services import create_account, unused_user_code
from idp.citizens.enrolment import CitizenDetails, hashed_answers, make_citizen_account
from idp.citizens.sin import sin_hash
from idp.clock import utc_now
from idp.conditions.services import accept_in_force
from idp.enterprises.services import create_enterprise
from idp.extensions import db
from idp.keystore import generate_keys
from idp.relying_parties import new_client_secret
from tests.citizens.conftest import ANSWERS, IMAGE, PHRASE
from tests.conftest import TEST_PASSWORD, WORKER, WORKER_INDEX
from tests.oidc.conftest import client_key
from tests.production.httpclient import ISSUER
from tests.production.servers import IdpServer, run_idp_command, start_gunicorn
from tests.saml.conftest import ServiceProvider, sp_key_pair

HERE = Path(__file__).parent
SECRET_KEY = "production-tests-secret-key-" + "0123456789abcdef" * 3
RP_CALLBACK = "https://rp.prod.test/callback"
SAML_SP = "https://sp.prod.test/saml"
RP_SCOPES = ["openid", "profile", "email", "enterprise", "offline_access"]
_DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
_DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "load: bounded load test of the production setup (run by default; deselect with "
        "-m 'not load')",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("production"))


# -- database, Redis, keys, relying parties ------------------------------------------------------


def _pg_base() -> str:
    url = os.environ.get("IDP_TEST_DATABASE_URL") or _DEFAULT_PG
    return url.rpartition("/")[0]


def _admin_engine() -> sa.Engine:
    return sa.create_engine(
        f"{_pg_base()}/postgres".replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )


@dataclass(frozen=True)
class Settings:
    """What every production start of this session shares (``IDP_*`` variables)."""

    database_url: str
    redis_url: str
    keys_dir: Path
    relying_parties_dir: Path
    instance_dir: Path
    smtp_port: int
    secrets: dict[str, str]
    saml_sp: ServiceProvider

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            "IDP_ENV": "production",
            "IDP_ISSUER": ISSUER,
            "IDP_SECRET_KEY": SECRET_KEY,
            "IDP_DATABASE_URL": self.database_url,
            "IDP_REDIS_URL": self.redis_url,
            "IDP_KEYS_DIR": str(self.keys_dir),
            "IDP_RELYING_PARTIES_DIR": str(self.relying_parties_dir),
            "IDP_INSTANCE_DIR": str(self.instance_dir),
            "IDP_SMTP_HOST": "127.0.0.1",
            "IDP_SMTP_PORT": str(self.smtp_port),
            # The capture speaks plain SMTP; production's relay would offer STARTTLS.
            "IDP_SMTP_STARTTLS": "false",
            "IDP_SMTP_TIMEOUT_SECONDS": "5",
            # Never called by these tests (no citizen enrolment); production wants https.
            "IDP_TAXPAYER_REGISTRY": "https://taxpayers.invalid/verify",
            "IDP_ENTERPRISE_REGISTRY": "https://enterprises.invalid/verify",
            # TLS ends at the reverse proxy the tests play (tests/production/httpclient.py).
            "IDP_TRUSTED_PROXY_COUNT": "1",
        }
        env.update(overrides)
        return env


@pytest.fixture(scope="session")
def prod_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("prod") / "keys"
    generate_keys(directory, utc_now, ISSUER)
    return directory


@dataclass(frozen=True)
class RelyingParties:
    directory: Path
    secrets: dict[str, str]
    saml_sp: ServiceProvider


@pytest.fixture(scope="session")
def prod_relying_parties(tmp_path_factory: pytest.TempPathFactory) -> RelyingParties:
    directory = tmp_path_factory.mktemp("prod") / "relying_parties"
    directory.mkdir()
    client_secrets: dict[str, str] = {}

    def secret(client_id: str) -> str:
        value, digest = new_client_secret()
        client_secrets[client_id] = value
        return digest

    def write(name: str, fields: dict[str, Any]) -> None:
        lines = [
            f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()
        ]
        (directory / f"{name}.toml").write_text("\n".join(lines) + "\n", "utf-8")

    for client_id in ("prod-rp", "load-rp"):
        write(
            client_id,
            {
                "kind": "oidc",
                "client_id": client_id,
                "ministry": "melccfp",
                "name_fr": f"Site {client_id}",
                "name_en": f"Site {client_id}",
                "redirect_uris": [RP_CALLBACK],
                "token_endpoint_auth_method": "client_secret_basic",
                "client_secret_sha256": secret(client_id),
                "scopes": RP_SCOPES,
            },
        )
    for client_id in ("prod-batch", "load-batch"):
        write(
            client_id,
            {
                "kind": "oidc",
                "client_id": client_id,
                "ministry": "melccfp",
                "name_fr": "Traitement par lots",
                "name_en": "Batch processing",
                "token_endpoint_auth_method": "client_secret_basic",
                "client_secret_sha256": secret(client_id),
                "grant_types": ["client_credentials"],
                "scopes": [],
            },
        )
    (directory / "prod-jwt.jwks.json").write_text(
        json.dumps({"keys": [client_key().as_dict(private=False)]}), "utf-8"
    )
    write(
        "prod-jwt",
        {
            "kind": "oidc",
            "client_id": "prod-jwt",
            "ministry": "melccfp",
            "name_fr": "Traitement signé",
            "name_en": "Signed batch",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_file": "prod-jwt.jwks.json",
            "grant_types": ["client_credentials"],
            "scopes": [],
        },
    )
    sp = saml_service_provider(directory.parent)
    (directory / "sp-metadata.xml").write_text(sp.metadata(), "utf-8")
    write(
        "sp",
        {
            "kind": "saml",
            "entity_id": SAML_SP,
            "ministry": "amf",
            "name_fr": "AMF",
            "name_en": "AMF",
            "metadata_file": "sp-metadata.xml",
            "authn_requests_signed": True,
            "encrypt_assertions": False,
        },
    )
    return RelyingParties(directory, client_secrets, sp)


def saml_service_provider(base: Path) -> ServiceProvider:
    directory = base / "sp"
    directory.mkdir(exist_ok=True)
    key, certificate = sp_key_pair("prod-sp")
    (directory / "sp.key").write_bytes(key)
    (directory / "sp.crt").write_bytes(certificate)
    return ServiceProvider(SAML_SP, directory)


@pytest.fixture(scope="session")
def prod_redis_url() -> str:
    url = os.environ.get("IDP_TEST_REDIS_URL") or _DEFAULT_REDIS
    base = url.rpartition("/")[0]
    return f"{base}/{(7 - WORKER_INDEX) % 16}"


@pytest.fixture(scope="session")
def prod_settings(
    tmp_path_factory: pytest.TempPathFactory,
    prod_keys: Path,
    prod_relying_parties: RelyingParties,
    prod_redis_url: str,
    _smtp_controller: Any,
) -> Settings:
    """A fresh database migrated by ``idp db upgrade``; the settings of every start."""
    name = f"idp_prod_{WORKER or 'gw0'}"
    try:
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except sa.exc.OperationalError as error:
        pytest.fail(f"these tests need PostgreSQL at {_pg_base()}: {error}", pytrace=False)
    controller, _capture = _smtp_controller
    settings = Settings(
        database_url=f"{_pg_base()}/{name}",
        redis_url=prod_redis_url,
        keys_dir=prod_keys,
        relying_parties_dir=prod_relying_parties.directory,
        instance_dir=tmp_path_factory.mktemp("prod-instance"),
        smtp_port=controller.port,
        secrets=prod_relying_parties.secrets,
        saml_sp=prod_relying_parties.saml_sp,
    )
    run_idp_command(["db", "upgrade"], settings.env())
    return settings


# -- data made with the app's services -----------------------------------------------------------


@dataclass(frozen=True)
class Person:
    account_id: int
    user_code: str
    email: str
    password: str = TEST_PASSWORD


@dataclass
class Seed:
    """The app in the test process, on the production database: services and counting."""

    app: Flask
    enterprise_id: int
    password_hash: str
    _counter: list[int] = field(default_factory=lambda: [0])

    def people(self, count: int, label: str) -> list[Person]:
        """``count`` electronic services managers of the enterprise registered at the MELCCFP,
        with ``TEST_PASSWORD`` hashed with production's argon2id parameters."""
        made = []
        with self.app.app_context():
            runtime = self.app.extensions["idp.runtime"]
            from idp.enterprises.models import Enterprise

            enterprise = db.session.get(Enterprise, self.enterprise_id)
            for _ in range(count):
                self._counter[0] += 1
                email = f"{label}.{self._counter[0]}.{secrets.token_hex(3)}@prod.example"
                new = create_account(
                    db.session,
                    runtime,
                    enterprise=enterprise,
                    display_name=f"Personne {label} {self._counter[0]}",
                    email=email,
                    role=AccountRole.ESM,
                )
                new.account.password_hash = self.password_hash
                new.account.must_change_password = False
                db.session.flush()
                accept_in_force(db.session, runtime, new.account, source="test")
                made.append(Person(new.account.id, new.account.user_code, new.account.email))
            db.session.commit()
        return made

    def person(self, label: str) -> Person:
        return self.people(1, label)[0]

    def citizen(self, label: str) -> Person:
        """A citizen account with ``TEST_PASSWORD`` and the four answers of the citizens'
        tests (``tests.citizens.conftest.ANSWERS``)."""
        with self.app.app_context():
            runtime = self.app.extensions["idp.runtime"]
            self._counter[0] += 1
            email = f"{label}.{self._counter[0]}.{secrets.token_hex(3)}@citoyen.example"
            account = make_citizen_account(
                db.session,
                runtime,
                CitizenDetails(
                    user_code=unused_user_code(db.session, citizen=True),
                    given_name="Olivier",
                    family_name=f"Lavoie {self._counter[0]}",
                    email=email,
                    locale="fr",
                    # A number no one has: only its keyed hash is kept anyway.
                    sin_hash=sin_hash(runtime.sin_key, f"{secrets.randbelow(10**9):09d}"),
                    image_key=IMAGE,
                    personal_phrase=PHRASE,
                ),
                password_hash=self.password_hash,
                answers=hashed_answers(runtime, list(ANSWERS)),
            )
            accept_in_force(db.session, runtime, account, source="test")
            db.session.commit()
            return Person(account.id, account.user_code, email)

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.app.app_context():
            value = db.session.execute(sa.text(sql), params).scalar()
            db.session.rollback()
            return value

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.app.app_context():
            rows = list(db.session.execute(sa.text(sql), params).all())
            db.session.rollback()
            return rows


@pytest.fixture(scope="session")
def seed(prod_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seed]:
    from tests.proxies.conftest import register

    app = create_app(
        {
            "env": "development",
            "issuer": ISSUER,
            "secret_key": SECRET_KEY,
            "database_url": prod_settings.database_url,
            "redis_url": prod_settings.redis_url,
            "keys_dir": prod_settings.keys_dir,
            "relying_parties_dir": prod_settings.relying_parties_dir,
            "instance_dir": tmp_path_factory.mktemp("seed-instance"),
            "smtp_host": "127.0.0.1",
            "smtp_port": prod_settings.smtp_port,
            "smtp_starttls": False,
            # Temporary passwords of new accounts are replaced below: cheap to make.
            "argon2_memory_cost_kib": 1024,
            "argon2_time_cost": 1,
        }
    )
    # The hash production's defaults make (argon2id, 19 MiB, t=2): no rehash at sign-in.
    password_hash = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(
        normalize_password(TEST_PASSWORD)
    )
    with app.app_context():
        runtime = app.extensions["idp.runtime"]
        enterprise = create_enterprise(
            db.session, runtime.clock, neq="1143256789", legal_name="Aciérie Saint-Laurent inc."
        )
        esm = create_account(
            db.session,
            runtime,
            enterprise=enterprise,
            display_name="Marie Tremblay",
            email="marie.tremblay@prod.example",
            role=AccountRole.ESM,
        ).account
        accept_in_force(db.session, runtime, esm, source="test")
        db.session.commit()
        register(runtime, esm, "melccfp")
        enterprise_id = enterprise.id
    yield Seed(app, enterprise_id, password_hash)
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


# -- servers ---------------------------------------------------------------------------------------


def flush_redis(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(scope="session")
def idp_server(
    prod_settings: Settings, seed: Seed, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IdpServer]:
    flush_redis(prod_settings.redis_url)
    server = start_gunicorn(
        f"idp-{WORKER or 'gw0'}", prod_settings.env(), tmp_path_factory.mktemp("gunicorn")
    )
    yield server
    server.stop()


StartIdp = Callable[..., IdpServer]


@pytest.fixture
def start_idp(
    prod_settings: Settings, seed: Seed, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[StartIdp]:
    """Start a further production server: ``start_idp(IDP_SIGNIN_…="…")``."""
    started: list[IdpServer] = []

    def start(**overrides: str) -> IdpServer:
        name = f"{request.node.name[:60]}-{len(started)}-{WORKER or 'gw0'}"
        server = start_gunicorn(name, prod_settings.env(**overrides), tmp_path / name)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def smtp_capture(_smtp_controller: Any) -> Any:
    """The suite's aiosmtpd capture, kept for the whole session (addresses are unique)."""
    _controller, capture = _smtp_controller
    return capture


_IP_COUNTER = [secrets.randbelow(200) << 16]


def new_ip() -> str:
    """A client address no other test of the run uses (rate limits are per address)."""
    _IP_COUNTER[0] += 1
    n = _IP_COUNTER[0]
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
