"""Migration 0014: the acceptance table, empty for the accounts already there, and undone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from idp.extensions import db
from tests.test_migrations import _app

BEFORE = "0013_account_recovery"
REVISION = "0014_conditions_of_use"


@pytest.fixture
def fresh_app(tmp_path):
    app = _app(f"sqlite:///{tmp_path / 'conditions.sqlite3'}", tmp_path / "instance")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_adds_an_empty_table_then_downgrade_removes_it(fresh_app):
    upgrade(revision=BEFORE)
    now = datetime(2026, 11, 22, tzinfo=UTC).replace(tzinfo=None)
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO accounts (id, user_code, display_name, email, password_hash, status,"
                " must_change_password, created_at, role) VALUES (1, 'CTZN-0001', 'Amélie',"
                " 'a@example.com', 'x', 'active', 0, :now, 'citizen')"
            ),
            {"now": now},
        )
    assert "conditions_acceptances" not in _tables()

    upgrade(revision=REVISION)
    with db.engine.begin() as conn:
        # Nobody accepted anything yet: every person is asked at their next sign-in.
        assert conn.execute(sa.text("SELECT count(*) FROM conditions_acceptances")).scalar() == 0
        insert = sa.text(
            "INSERT INTO conditions_acceptances (account_id, portal, version, accepted_at)"
            " VALUES (1, 'citizen', '2026-11-01', :now)"
        )
        conn.execute(insert, {"now": now})
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        # One row per person, portal and version.
        conn.execute(insert, {"now": now})

    downgrade(revision=BEFORE)
    assert "conditions_acceptances" not in _tables()
    assert "accounts" in _tables()
