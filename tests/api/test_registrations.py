"""GET …/registrations and POST …/registrations/{id}/decision: the operator page's rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.audit.tags import AuditAction
from idp.extensions import db
from idp.mailbox.models import MailboxMessage, MessageKind
from idp.ministries.models import MinistryRegistration, RegistrationStatus
from tests.api.conftest import (
    access_token,
    assert_matches,
    assert_problem,
    bearer,
    openapi_document,
    pending_registration,
)

REGISTRATIONS = "/api/v1/ministries/melccfp/registrations"


def decision_path(registration_id: int, ministry: str = "melccfp") -> str:
    return f"/api/v1/ministries/{ministry}/registrations/{registration_id}/decision"


@pytest.fixture
def esm(factory):
    return factory.person(name="Marie Tremblay").account


@pytest.fixture
def token(client, client_secrets):
    return bearer(access_token(client, client_secrets))


def test_pending_registrations_of_the_ministry_only_oldest_first(
    client, runtime, factory, clock, esm, token
):
    first = pending_registration(runtime, esm)
    clock.advance(minutes=5)
    other = factory.person(name="Luc Gagnon").account
    second = pending_registration(runtime, other)
    pending_registration(runtime, factory.person(name="Anne Roy").account, "amf")
    answer = client.get(REGISTRATIONS, headers=token)
    assert answer.status_code == 200
    body = answer.get_json()
    assert_matches(openapi_document(client), "RegistrationList", body)
    assert [r["id"] for r in body["registrations"]] == [first.id, second.id]
    listed = body["registrations"][0]
    assert listed["status"] == "pending"
    assert listed["enterprise"] == {
        "neq": esm.enterprise.neq,
        "legal_name": esm.enterprise.legal_name,
    }
    assert listed["answers"] == {"establishment_count": "2"}
    assert listed["submitted_at"] == "2026-11-22T14:00:00Z"
    assert listed["decided_at"] is None


def test_another_status_is_asked_for_and_an_unknown_one_is_400(client, runtime, esm, token):
    registration = pending_registration(runtime, esm)
    assert client.get(REGISTRATIONS + "?status=active", headers=token).get_json() == {
        "registrations": []
    }
    client.post(decision_path(registration.id), json={"decision": "activate"}, headers=token)
    active = client.get(REGISTRATIONS + "?status=active", headers=token).get_json()
    assert [r["id"] for r in active["registrations"]] == [registration.id]
    for status in ("PENDING", "", "x" * 5000, "pending'--"):
        answer = client.get(REGISTRATIONS, query_string={"status": status}, headers=token)
        body = assert_problem(answer, 400, "invalid_parameter", openapi_document(client))
        assert body["parameter"] == "status"


def test_activation_has_the_pages_effects(client, runtime, esm, token, smtp):
    registration = pending_registration(runtime, esm)
    answer = client.post(
        decision_path(registration.id), json={"decision": "activate"}, headers=token
    )
    answer.close()
    assert answer.status_code == 200
    body = answer.get_json()
    assert_matches(openapi_document(client), "Registration", body)
    assert body["status"] == "active"
    assert body["decided_at"] == "2026-11-22T14:00:00Z"
    stored = db.session.get(MinistryRegistration, registration.id)
    assert stored.status == RegistrationStatus.ACTIVE
    assert stored.decided_by_id is None
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.REGISTRATION_DECIDE)
    ).one()
    assert event.enterprise_id == esm.enterprise_id
    assert event.actor_account_id is None
    assert event.details["api_client"] == "melccfp-manager"
    assert event.details["decision"] == "active"
    notice = db.session.scalars(
        select(MailboxMessage).where(MailboxMessage.account_id == esm.id)
    ).one()
    assert notice.kind == MessageKind.REGISTRATION_DECIDED


def test_a_refusal_needs_a_reason_which_the_enterprise_reads(client, runtime, esm, token):
    registration = pending_registration(runtime, esm)
    path = decision_path(registration.id)
    for body in ({"decision": "refuse"}, {"decision": "refuse", "reason": "   "}):
        answer = client.post(path, json=body, headers=token)
        problem = assert_problem(answer, 422, "invalid_body", openapi_document(client))
        assert problem["errors"][0]["field"] == "reason"
    assert db.session.get(MinistryRegistration, registration.id).status == "pending"
    answer = client.post(
        path, json={"decision": "refuse", "reason": "NEQ inconnu au registre"}, headers=token
    )
    assert answer.status_code == 200
    assert answer.get_json()["decision_reason"] == "NEQ inconnu au registre"
    notice = db.session.scalars(
        select(MailboxMessage).where(MailboxMessage.account_id == esm.id)
    ).one()
    assert "NEQ inconnu au registre" in notice.body_fr


def test_a_second_decision_is_409(client, runtime, esm, token):
    registration = pending_registration(runtime, esm)
    path = decision_path(registration.id)
    assert client.post(path, json={"decision": "activate"}, headers=token).status_code == 200
    answer = client.post(path, json={"decision": "refuse", "reason": "Non"}, headers=token)
    body = assert_problem(answer, 409, "already_decided", openapi_document(client))
    assert body["current_status"] == "active"
    assert db.session.get(MinistryRegistration, registration.id).status == "active"


def test_another_ministrys_registration_is_not_found(client, client_secrets, runtime, esm, token):
    amf_registration = pending_registration(runtime, esm, "amf")
    answer = client.post(
        decision_path(amf_registration.id), json={"decision": "activate"}, headers=token
    )
    assert_problem(answer, 404, "not_found", openapi_document(client))
    assert_problem(
        client.post(decision_path(2**31 - 1), json={"decision": "activate"}, headers=token),
        404,
        "not_found",
    )
    # Its own ministry's back-end decides it.
    amf = bearer(access_token(client, client_secrets, "amf-manager"))
    answer = client.post(
        decision_path(amf_registration.id, "amf"), json={"decision": "activate"}, headers=amf
    )
    assert answer.status_code == 200


def test_the_decision_needs_the_registrations_scope(client, client_secrets, runtime, esm):
    registration = pending_registration(runtime, esm)
    mailbox_only = bearer(access_token(client, client_secrets, scope="management:melccfp:mailbox"))
    answer = client.post(
        decision_path(registration.id), json={"decision": "activate"}, headers=mailbox_only
    )
    assert_problem(answer, 403, "insufficient_scope")
    assert db.session.get(MinistryRegistration, registration.id).status == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "decision"),
        ({"decision": "ACTIVATE"}, "decision"),
        ({"decision": True}, "decision"),
        ({"decision": ["activate"]}, "decision"),
        ({"decision": "refuse", "reason": 42}, "reason"),
        ({"decision": "refuse", "reason": "x" * 1001}, "reason"),
        ({"decision": "refuse", "reason": "nul\u0000"}, "reason"),
        ({"decision": "activate", "extra": 1}, "extra"),
    ],
)
def test_a_body_outside_the_schema_is_422_naming_the_field(
    client, runtime, esm, token, body, field
):
    registration = pending_registration(runtime, esm)
    answer = client.post(decision_path(registration.id), json=body, headers=token)
    problem = assert_problem(answer, 422, "invalid_body", openapi_document(client))
    assert problem["errors"][0]["field"] == field
    assert db.session.get(MinistryRegistration, registration.id).status == "pending"


def test_the_enterprises_history_shows_the_ministry_decided_automatically(
    client, factory, runtime, token, auth
):
    esm = factory.person(name="Marie Tremblay")
    registration = pending_registration(runtime, esm.account)
    client.post(decision_path(registration.id), json={"decision": "activate"}, headers=token)
    auth.sign_in(esm)
    page = client.get("/entreprise/historique").get_data(as_text=True)
    decided = page[page.index("Décision rendue sur une inscription") :]
    by = decided[: decided.index("</td>")]  # the "By" cell, after the action's header cell
    assert "MELCCFP" in by
    assert "automatisé" in by
