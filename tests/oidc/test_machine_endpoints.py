"""The machine endpoints (idp/web/machine.py): their own rate limit and security headers, and
what a token costs in statements (idp/oidc/issuance.py)."""

from __future__ import annotations

import re

import pytest
from joserfc import jwt
from sqlalchemy import event, text

from idp.extensions import db
from idp.oidc.views.protocol import BACK_CHANNEL_LIMIT
from idp.web.machine import machine_endpoints
from tests.oidc.conftest import basic_auth
from tests.oidc.test_token import issued, refresh  # noqa: F401 (a fixture, a helper)

TOKEN_PATH = "/oidc/token"


def test_the_machine_endpoints_are_the_back_channel_and_the_management_api(app):
    assert machine_endpoints(app) == {
        "oidc.token",
        "oidc.push_authorization_request",
        "oidc.revoke",
        "oidc.introspect",
        "oidc.userinfo",
        "api.openapi",
        "api.list_registrations",
        "api.decide",
        "api.post_message",
        "api.list_audit_events",
    }


def test_past_the_limit_a_back_end_gets_429_as_json_with_a_delay(client):
    allowed = int(BACK_CHANNEL_LIMIT.split("/")[0])
    wrong = basic_auth("melccfp-batch", "not-the-secret")
    form = {"grant_type": "client_credentials"}
    here = {"REMOTE_ADDR": "192.0.2.20"}
    statuses = {
        client.post(TOKEN_PATH, data=form, headers=wrong, environ_base=here).status_code
        for _ in range(allowed)
    }
    assert statuses == {401}
    limited = client.post(TOKEN_PATH, data=form, headers=wrong, environ_base=here)
    assert limited.status_code == 429
    assert limited.get_json()["error"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["Cache-Control"] == "no-store"
    # Counted per address and per endpoint: another back-end, or introspection, goes on.
    other = {"REMOTE_ADDR": "192.0.2.21"}
    assert client.post(TOKEN_PATH, data=form, headers=wrong, environ_base=other).status_code == 401
    introspect = client.post(
        "/oidc/introspect", data={"token": "x"}, headers=wrong, environ_base=here
    )
    assert introspect.status_code == 401


def test_a_json_answer_has_fixed_headers_and_a_page_keeps_its_policy(client, client_secrets):
    answer = client.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials"},
        headers=basic_auth("melccfp-batch", client_secrets["melccfp-batch"]),
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"
    page = client.get("/connexion")
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


# -- what a token costs in statements ----------------------------------------------------------


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def _reads_of(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and re.search(rf"FROM {table}\b", s)]


def test_a_refresh_reads_token_grant_person_enterprise_and_session_in_one_statement(
    app,
    client_secrets,
    issued,  # noqa: F811 (the imported fixture)
    statements,
):
    db.session.expire_all()
    statements.clear()
    back_end = app.test_client()  # no browser cookie: a relying party's server
    answer = refresh(back_end, client_secrets, issued["refresh_token"])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    for table in ("accounts", "enterprises", "user_sessions", "oidc_grants"):
        assert _reads_of(statements, table) == [], table
    assert len([s for s in statements if "FROM oidc_tokens" in s]) == 1


def test_a_back_end_token_is_one_statement_on_postgresql(client, client_secrets, statements):
    answer = client.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials"},
        headers=basic_auth("melccfp-batch", client_secrets["melccfp-batch"]),
    )
    assert answer.status_code == 200
    writes = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    expected = 1 if db.engine.dialect.name == "postgresql" else 2
    assert len(writes) == expected, writes
    grant_id, jti = db.session.execute(
        text("SELECT grant_id, lookup FROM oidc_tokens ORDER BY id DESC LIMIT 1")
    ).one()
    claims = jwt.decode(
        answer.get_json()["access_token"],
        client.application.extensions["idp.runtime"].keystore.key_set(),
    ).claims
    assert jti == claims["jti"]
    client_id = db.session.execute(
        text("SELECT client_id FROM oidc_grants WHERE id = :id"), {"id": grant_id}
    ).scalar_one()
    assert client_id == "melccfp-batch"
