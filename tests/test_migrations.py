"""The Alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

import idp.models  # noqa: F401  (every table on the metadata)
from idp import MIGRATIONS_DIR, create_app
from idp.extensions import db
from tests.conftest import TEST_SECRET_KEY

# The tables of the first revision; later revisions add more, which the metadata lists.
FOUNDATION_TABLES = {"accounts", "audit_events", "enterprises", "one_time_codes", "user_sessions"}
APPEND_ONLY_TRIGGERS = {"audit_events_no_update", "audit_events_no_delete"}


def _app(database_url: str, instance_dir: Path) -> Flask:
    config: dict[str, Any] = {
        "env": "development",
        "issuer": "http://localhost",
        "secret_key": TEST_SECRET_KEY,
        "database_url": database_url,
        "instance_dir": instance_dir,
        "smtp_host": "127.0.0.1",
        "argon2_memory_cost_kib": 1024,
        "argon2_time_cost": 1,
    }
    return create_app(config)


def _head() -> str:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def _schema_differences() -> list[Any]:
    with db.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), db.metadata))


def _current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@pytest.fixture
def migrated_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A database built by ``upgrade()``: a fresh SQLite file, or the test PostgreSQL database."""
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = _app(database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh_sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    app = _app(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}", tmp_path / "instance")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_models_and_migrations_agree(migrated_app):
    assert _current_revision() == _head()
    assert _schema_differences() == []


def test_upgrade_creates_every_table(migrated_app):
    tables = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) >= FOUNDATION_TABLES
    assert tables >= set(db.metadata.tables) | {"alembic_version"}


def _triggers() -> set[str]:
    with db.engine.connect() as conn:
        return set(
            conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        )


def test_downgrade_to_base_then_upgrade_again(fresh_sqlite_app):
    upgrade()
    assert _triggers() >= APPEND_ONLY_TRIGGERS

    downgrade(revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"} == set()
    assert _triggers() == set()
    assert _current_revision() is None

    upgrade()
    assert _current_revision() == _head()
    assert set(sa.inspect(db.engine).get_table_names()) >= set(db.metadata.tables)
    assert _triggers() >= APPEND_ONLY_TRIGGERS
    assert _schema_differences() == []


def _enterprise_columns() -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns("enterprises")}


def test_organisation_names_gives_existing_enterprises_no_article(fresh_sqlite_app):
    upgrade(revision="0011_enterprise_lifecycle")
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO enterprises (neq, legal_name, status, created_at) "
                "VALUES ('1143256789', 'Aciérie Saint-Laurent inc.', 'active', '2026-11-22')"
            )
        )
    upgrade(revision="0012_organisation_names")
    assert "name_article" in _enterprise_columns()
    with db.engine.connect() as conn:
        article = conn.execute(sa.text("SELECT name_article FROM enterprises")).scalar_one()
    assert article == ""

    downgrade(revision="0011_enterprise_lifecycle")
    assert "name_article" not in _enterprise_columns()
    with db.engine.connect() as conn:
        name = conn.execute(sa.text("SELECT legal_name FROM enterprises")).scalar_one()
    assert name == "Aciérie Saint-Laurent inc."


def test_account_recovery_adds_reset_links_and_keeps_esm_resets_off(fresh_sqlite_app):
    upgrade(revision="0012_organisation_names")
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO enterprises (neq, legal_name, status, created_at) "
                "VALUES ('1140000001', 'Aciérie', 'active', '2026-01-01')"
            )
        )
    upgrade(revision="0013_account_recovery")
    inspector = sa.inspect(db.engine)
    assert {c["name"] for c in inspector.get_columns("password_resets")} == {
        "id",
        "account_id",
        "token_hash",
        "created_at",
        "expires_at",
        "used_at",
    }
    assert any(
        u["column_names"] == ["token_hash"]
        for u in inspector.get_unique_constraints("password_resets")
    )
    with db.engine.connect() as conn:
        assert conn.execute(
            sa.text("SELECT esm_password_resets_allowed FROM enterprises")
        ).scalar() in (0, False)

    downgrade(revision="0012_organisation_names")
    assert "password_resets" not in sa.inspect(db.engine).get_table_names()
    assert "esm_password_resets_allowed" not in _enterprise_columns()


def test_audit_chain_chains_the_events_already_recorded(fresh_sqlite_app):
    from idp.audit.verification import verify_chain

    upgrade(revision="0019_security_events")
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO enterprises (neq, legal_name, status, created_at) "
                "VALUES ('1140000001', 'Aciérie', 'active', '2026-01-01')"
            )
        )
        for number, enterprise in enumerate([None, 1, None, 1, None]):
            conn.execute(
                sa.text(
                    "INSERT INTO audit_events (occurred_at, enterprise_id, action, outcome, "
                    "user_agent, details) VALUES (:at, :enterprise, 'accounts:account:create', "
                    "'success', 'Navigateur « é »', :details)"
                ),
                {
                    "at": f"2026-11-2{number} 14:00:00.000123",
                    "enterprise": enterprise,
                    "details": f'{{"number": {number}, "note": "réglé"}}',
                },
            )
    upgrade(revision="0020_audit_chain")
    with db.engine.connect() as conn:
        chained = conn.execute(sa.text("SELECT stream, seq FROM audit_events ORDER BY id")).all()
        heads = dict(conn.execute(sa.text("SELECT stream, seq FROM audit_stream_heads")).all())
    assert [tuple(row) for row in chained] == [
        ("system", 1),
        ("enterprise:1", 1),
        ("system", 2),
        ("enterprise:1", 2),
        ("system", 3),
    ]
    assert heads == {"system": 3, "enterprise:1": 2}
    # The migration's copy of the encoding agrees with the application's.
    report = verify_chain(db.session, {})
    assert report.ok, report.problems
    assert report.events == 5
    db.session.remove()

    downgrade(revision="0019_security_events")
    assert "audit_checkpoints" not in sa.inspect(db.engine).get_table_names()
    assert _triggers() >= APPEND_ONLY_TRIGGERS


def test_pushed_auth_requests_adds_its_table_and_takes_it_away(fresh_sqlite_app):
    upgrade(revision="0021_pushed_auth_requests")
    inspector = sa.inspect(db.engine)
    assert {c["name"] for c in inspector.get_columns("oidc_pushed_requests")} == {
        "id",
        "uri_hash",
        "client_id",
        "parameters",
        "created_at",
        "expires_at",
        "claimed_at",
        "browser_hash",
    }
    assert any(
        u["column_names"] == ["uri_hash"]
        for u in inspector.get_unique_constraints("oidc_pushed_requests")
    )

    downgrade(revision="0020_audit_chain")
    assert "oidc_pushed_requests" not in sa.inspect(db.engine).get_table_names()
    assert _current_revision() == "0020_audit_chain"
