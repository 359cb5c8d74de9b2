"""GET …/audit-events: the events about the ministry only, a page at a time by cursor."""

from __future__ import annotations

import pytest

from idp.audit.services import record
from idp.audit.tags import AuditAction
from idp.extensions import db
from tests.api.conftest import (
    access_token,
    assert_matches,
    assert_problem,
    bearer,
    openapi_document,
    pending_registration,
)

AUDIT = "/api/v1/ministries/melccfp/audit-events"


@pytest.fixture
def token(client, client_secrets):
    return bearer(access_token(client, client_secrets))


def events(client, token, **query):
    answer = client.get(AUDIT, query_string=query, headers=token)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_only_the_ministrys_events_with_no_session_or_address(client, runtime, factory, token):
    esm = factory.person(name="Marie Tremblay").account
    pending_registration(runtime, esm)  # ministries:registration:submit, ministry melccfp
    pending_registration(runtime, factory.person(name="Anne Roy").account, "amf")
    # A sign-in to one of its sites, another ministry's site, and nothing about a ministry.
    for party in ("iqea", "amf-portal"):
        record(
            db.session,
            runtime.clock,
            AuditAction.OIDC_SIGN_IN,
            subject_id=esm.id,
            enterprise_id=esm.enterprise_id,
            relying_party=party,
            sid="secret-session-id",
        )
    record(db.session, runtime.clock, AuditAction.PASSWORD_CHANGE, subject_id=esm.id)
    db.session.commit()
    body = events(client, token)
    assert_matches(openapi_document(client), "AuditEventPage", body)
    assert [(e["action"], e["details"].get("relying_party")) for e in body["events"]] == [
        ("ministries:registration:submit", None),
        ("oidc:authorization:grant", "iqea"),
    ]
    submit = body["events"][0]
    assert submit["details"] == {"ministry": "melccfp"}
    assert submit["enterprise"]["neq"] == esm.enterprise.neq
    assert submit["occurred_at"] == "2026-11-22T14:00:00Z"
    assert "sid" not in body["events"][1]["details"]
    assert "client_ip" not in submit
    assert body["has_more"] is False


def test_the_apis_own_writes_are_there(client, runtime, factory, token):
    registration = pending_registration(runtime, factory.person(name="Marie Tremblay").account)
    path = f"/api/v1/ministries/melccfp/registrations/{registration.id}/decision"
    client.post(path, json={"decision": "activate"}, headers=token)
    decided = events(client, token)["events"][-1]
    assert decided["action"] == "ministries:registration:decide"
    assert decided["details"] == {
        "ministry": "melccfp",
        "decision": "active",
        "api_client": "melccfp-manager",
    }


def test_pages_follow_the_cursor_and_a_kept_cursor_brings_only_what_came_after(
    client, runtime, token
):
    for _ in range(5):
        record(db.session, runtime.clock, AuditAction.CONSENT_GRANT, ministry="melccfp")
    db.session.commit()
    first = events(client, token, limit="2")
    assert len(first["events"]) == 2
    assert first["has_more"] is True
    second = events(client, token, limit="2", cursor=first["next_cursor"])
    third = events(client, token, limit="2", cursor=second["next_cursor"])
    ids = [e["id"] for page in (first, second, third) for e in page["events"]]
    assert len(ids) == 5
    assert ids == sorted(ids)
    assert third["has_more"] is False
    # Nothing new: the same cursor comes back, and then only what was recorded since.
    assert events(client, token, cursor=third["next_cursor"]) == {
        "events": [],
        "next_cursor": third["next_cursor"],
        "has_more": False,
    }
    record(db.session, runtime.clock, AuditAction.CONSENT_WITHDRAW, ministry="melccfp")
    db.session.commit()
    later = events(client, token, cursor=third["next_cursor"])
    assert [e["action"] for e in later["events"]] == ["consents:consent:withdraw"]


def test_since_keeps_the_events_of_then_and_later(client, client_secrets, runtime, clock):
    record(db.session, runtime.clock, AuditAction.CONSENT_GRANT, ministry="melccfp")
    clock.advance(hours=2)
    record(db.session, runtime.clock, AuditAction.CONSENT_WITHDRAW, ministry="melccfp")
    db.session.commit()
    token = bearer(access_token(client, client_secrets))
    for since in ("2026-11-22T16:00:00Z", "2026-11-22T11:00:00-05:00", "2026-11-22T15:30:00+00:00"):
        found = events(client, token, since=since)["events"]
        assert [e["action"] for e in found] == ["consents:consent:withdraw"], since
    assert len(events(client, token, since="2026-11-22T13:59:59Z")["events"]) == 2


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("since", "2026-11-22T16:00:00"),  # no time zone
        ("since", "yesterday"),
        ("since", "0001-01-01T00:00:00+01:00"),
        ("since", "9" * 5000),
        ("limit", "0"),
        ("limit", "201"),
        ("limit", "-1"),
        ("limit", "1e2"),
        ("limit", "٣"),
        ("limit", "9" * 5000),
        ("cursor", "not-a-cursor"),
        ("cursor", "YWZ0ZXI6MA"),  # after:0
        ("cursor", "YWZ0ZXI6OTk5OTk5OTk5OTk5OTk5"),  # past any row id
        ("cursor", "%%%"),
        ("cursor", ""),
    ],
)
def test_a_parameter_out_of_bounds_is_400_naming_it(client, token, parameter, value):
    answer = client.get(AUDIT, query_string={parameter: value}, headers=token)
    body = assert_problem(answer, 400, "invalid_parameter", openapi_document(client))
    assert body["parameter"] == parameter


def test_it_needs_the_audit_scope(client, client_secrets):
    token = bearer(access_token(client, client_secrets, scope="management:melccfp:registrations"))
    assert_problem(client.get(AUDIT, headers=token), 403, "insufficient_scope")
