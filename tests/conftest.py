"""Fixtures: a fresh migrated database per test, a real SMTP capture, an injectable clock.

Set IDP_TEST_DATABASE_URL (PostgreSQL) and IDP_TEST_REDIS_URL to run the suite on the
scale-out engines; by default it runs on SQLite files and in-memory counters.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from idp import create_app
from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.accounts.services import create_account
from idp.conditions.services import accept_in_force
from idp.enterprises.models import Enterprise
from idp.enterprises.services import create_enterprise
from idp.extensions import db
from idp.runtime import Runtime

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-production-0123456789"
TEST_PASSWORD = "Riviere-Saguenay-Brume"
# pytest-xdist runs the suite in several processes (`python3 dev.py test` asks for one per
# core); each gets its own PostgreSQL database and Redis database, so that no worker truncates
# or resets what another is using.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(WORKER[2:]) if WORKER.startswith("gw") else 0


def _per_worker_database(url: str | None) -> str | None:
    """``…/test`` for the first worker, ``…/test_gw1`` for the others; created when missing."""
    if not url:
        return url
    base, _slash, name = url.rpartition("/")
    own = f"{name}_{WORKER}" if WORKER_INDEX else name
    admin = sa.create_engine(
        f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own}
        ).scalar()
        if not exists:
            # A run started at the same moment may have made it first: then it is there.
            with contextlib.suppress(sa.exc.ProgrammingError, sa.exc.IntegrityError):
                conn.execute(sa.text(f'CREATE DATABASE "{own}"'))
    admin.dispose()
    return f"{base}/{own}"


def _per_worker_redis(url: str | None) -> str | None:
    """The Redis database below the given one for each further worker (15, 14, …)."""
    if not url or WORKER_INDEX == 0:
        return url
    base, _slash, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) - WORKER_INDEX) % 16}"


PG_URL = _per_worker_database(os.environ.get("IDP_TEST_DATABASE_URL"))
REDIS_URL = _per_worker_redis(os.environ.get("IDP_TEST_REDIS_URL"))
# Tests of the Redis storage itself use Redis even on an SQLite run.
REDIS_URL_FOR_STORAGE_TESTS = REDIS_URL or _per_worker_redis("redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parent.parent


# -- clock -------------------------------------------------------------------------------------


class MutableClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 22, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock()


# -- SMTP capture ------------------------------------------------------------------------------


@dataclass
class CapturedMessage:
    to: list[str]
    message: Any

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()


class SmtpCapture:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[CapturedMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        self.messages.append(CapturedMessage(list(envelope.rcpt_tos), msg))
        return "250 OK"

    def last_code(self, email: str) -> str:
        for captured in reversed(self.messages):
            if email in captured.to:
                match = re.search(r"\b(\d{6})\b", captured.text)
                assert match, captured.text
                return match.group(1)
        raise AssertionError(f"no email to {email}")

    def count_to(self, email: str) -> int:
        return sum(1 for m in self.messages if email in m.to)


def free_port() -> int:
    """A loopback port nobody listens on right now (aiosmtpd cannot start on port 0)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def _smtp_controller() -> Iterator[tuple[Controller, SmtpCapture]]:
    capture = SmtpCapture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, capture
    controller.stop()


@pytest.fixture
def smtp(_smtp_controller: tuple[Controller, SmtpCapture]) -> SmtpCapture:
    _controller, capture = _smtp_controller
    capture.messages.clear()
    return capture


# -- database ----------------------------------------------------------------------------------


def _migrate(url: str, instance_dir: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(_base_config(url, instance_dir, smtp_port=25))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run the migrations once; every test then starts from that schema."""
    instance_dir = tmp_path_factory.mktemp("template")
    if PG_URL:
        engine = _pg_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(PG_URL, instance_dir)
        return PG_URL
    path = instance_dir / "template.sqlite3"
    _migrate(f"sqlite:///{path}", instance_dir)
    return str(path)


def _pg_engine(url: str) -> sa.Engine:
    # NullPool: each connection closes when released, nothing lingers between tests.
    return sa.create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.NullPool
    )


@pytest.fixture
def database_url(_migrated_template: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        yield PG_URL
        engine = _pg_engine(PG_URL)
        with engine.begin() as conn:
            tables = (
                conn.execute(
                    sa.text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            if tables:
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return
    path = tmp_path / "idp.sqlite3"
    shutil.copy(_migrated_template, path)
    yield f"sqlite:///{path}"


# -- app ---------------------------------------------------------------------------------------


_KEYS_DIR: Path | None = None


def shared_keys_dir() -> Path:
    """Signing keys made once for the whole run (RSA generation is slow); tests that rotate
    keys use their own directory."""
    global _KEYS_DIR
    if _KEYS_DIR is None:
        import tempfile

        from idp.clock import utc_now
        from idp.keystore import generate_keys

        _KEYS_DIR = Path(tempfile.mkdtemp(prefix="idp-test-keys-"))
        generate_keys(_KEYS_DIR, utc_now, "http://localhost")
    return _KEYS_DIR


def _base_config(database_url: str, instance_dir: Path, *, smtp_port: int) -> dict[str, Any]:
    return {
        "keys_dir": shared_keys_dir(),
        "env": "development",
        "issuer": "http://localhost",
        "secret_key": TEST_SECRET_KEY,
        "database_url": database_url,
        "redis_url": REDIS_URL,
        "instance_dir": instance_dir,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_starttls": False,
        # Cheaper argon2 keeps the suite fast; tests of the parameters set their own.
        "argon2_memory_cost_kib": 1024,
        "argon2_time_cost": 1,
    }


@pytest.fixture
def app_config(
    database_url: str, tmp_path: Path, _smtp_controller: tuple[Controller, SmtpCapture]
) -> dict[str, Any]:
    """The settings of the test app; a test may change them before ``app`` is built."""
    controller, _capture = _smtp_controller
    return _base_config(database_url, tmp_path / "instance", smtp_port=controller.port)


class RequestIsolatingClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    The test body holds an app context for its own queries; without this, requests would reuse
    it and share ``g`` (cached CSRF token, loaded session) and the database session with the
    test. The test's pending changes are committed first and its objects expired afterwards,
    so it sees what the request wrote.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app(app_config: dict[str, Any], clock: MutableClock, smtp: SmtpCapture) -> Iterator[Flask]:
    app = create_app(app_config, clock=clock)
    app.config["TESTING"] = True
    app.test_client_class = RequestIsolatingClient
    if REDIS_URL:
        app.extensions["idp.runtime"].throttle.reset()
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    """Close the pooled connections of every app a test built (psycopg warns on leaks)."""
    yield
    for engines in list(db._app_engines.values()):
        for engine in engines.values():
            engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runtime(app: Flask) -> Runtime:
    return app.extensions["idp.runtime"]


# -- factories ---------------------------------------------------------------------------------


@dataclass
class Person:
    account: Account
    password: str

    @property
    def user_code(self) -> str:
        return self.account.user_code

    @property
    def email(self) -> str:
        return self.account.email


def accept_conditions(runtime: Runtime, account: Account) -> None:
    """The person accepted the conditions of use in force of their portal (committed)."""
    accept_in_force(db.session, runtime, account, source="test")
    db.session.commit()


class Factory:
    """Builds enterprises and accounts with traits (``suspended``, ``cancelled``, ``temporary``,
    ``accepted_conditions=False`` for a person who has not accepted the conditions of use)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._neq = 1140000000

    def enterprise(self, name: str = "Aciérie Saint-Laurent inc.") -> Enterprise:
        self._neq += 1
        enterprise = create_enterprise(
            db.session, self.runtime.clock, neq=str(self._neq), legal_name=name
        )
        db.session.commit()
        return enterprise

    def person(
        self,
        *,
        enterprise: Enterprise | None = None,
        name: str = "Marie Tremblay",
        email: str | None = None,
        role: AccountRole = AccountRole.ESM,
        status: AccountStatus = AccountStatus.ACTIVE,
        temporary: bool = False,
        accepted_conditions: bool = True,
    ) -> Person:
        enterprise = enterprise or self.enterprise()
        email = email or f"{name.split()[0].lower()}.{self._neq}@example.com"
        new = create_account(
            db.session,
            self.runtime,
            enterprise=enterprise,
            display_name=name,
            email=email,
            role=role,
        )
        account = new.account
        password = new.temporary_password
        if not temporary:
            account.password_hash = self.runtime.hashing.hash(TEST_PASSWORD)
            account.must_change_password = False
            password = TEST_PASSWORD
        account.status = status
        if accepted_conditions:
            accept_conditions(self.runtime, account)
        db.session.commit()
        return Person(account, password)


@pytest.fixture
def factory(runtime: Runtime) -> Factory:
    return Factory(runtime)


@pytest.fixture
def person(factory: Factory) -> Person:
    return factory.person()


# -- browser-like helper -----------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


class Auth:
    """Drives the sign-in pages the way a browser does (CSRF tokens included)."""

    def __init__(self, client: FlaskClient, smtp: SmtpCapture) -> None:
        self.client = client
        self.smtp = smtp

    def form_post(self, path: str, data: dict[str, Any], page: str | None = None, **kw: Any):
        html = self.client.get(page or path).get_data(as_text=True)
        return self.client.post(path, data={**data, "csrf_token": csrf_token(html)}, **kw)

    def password_step(self, user_code: str, password: str, **extra: Any):
        return self.form_post("/connexion", {"user_code": user_code, "password": password, **extra})

    def code_step(self, code: str):
        response = self.form_post("/connexion/code", {"code": code})
        response.close()  # as a server does: the notices deferred to then are sent
        return response

    def resend(self):
        return self.form_post("/connexion/nouveau-code", {}, page="/connexion/code")

    def sign_in(self, person: Person, **extra: Any):
        response = self.password_step(person.user_code, person.password, **extra)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"].endswith("/connexion/code")
        return self.code_step(self.smtp.last_code(person.email))

    def sign_out(self):
        return self.form_post("/deconnexion", {}, page="/")


@pytest.fixture
def auth(client: FlaskClient, smtp: SmtpCapture) -> Auth:
    return Auth(client, smtp)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the translation catalogues when a .po is newer than its .mo (dev.py does too)."""
    if WORKER:
        return  # the controlling process did it before starting the workers
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (ROOT / "idp" / "translations").glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
