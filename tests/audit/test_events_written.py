"""Each sign-in situation leaves its audit event, with the reason a reviewer needs."""

from __future__ import annotations

from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.extensions import db


def _last(action: str) -> AuditEvent:
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None, f"no {action} event"
    return event


def test_unknown_user_and_wrong_password_are_told_apart_only_in_the_audit(auth, person):
    auth.password_step(person.user_code, "not-the-password-at-all")
    wrong = _last("accounts:signin:password")
    auth.password_step("ZZZZ-9999", "not-the-password-at-all")
    unknown = _last("accounts:signin:password")
    assert (wrong.outcome, wrong.details["reason"], wrong.subject_account_id) == (
        "failure",
        "wrong_password",
        person.account.id,
    )
    assert (unknown.outcome, unknown.details["reason"], unknown.subject_account_id) == (
        "failure",
        "unknown_user_code",
        None,
    )
    assert wrong.client_ip == "127.0.0.1"


def test_csrf_rejection_is_audited(client):
    response = client.post("/connexion", data={"user_code": "ABCD-2345", "password": "x" * 12})
    assert response.status_code == 400
    event = _last("web:csrf:reject")
    assert event.outcome == "denied"
    assert event.details["path"] == "/connexion"


def test_refused_new_password_is_audited_without_the_password(auth, factory):
    person = factory.person(temporary=True)
    auth.sign_in(person)
    auth.form_post(
        "/mot-de-passe", {"new_password": "motdepasse123", "confirm_password": "motdepasse123"}
    )
    event = _last("accounts:password:change")
    assert (event.outcome, event.details["field"]) == ("failure", "new_password")
    assert "motdepasse123" not in str(event.details)


def test_resend_too_soon_is_audited(auth, person, clock):
    auth.password_step(person.user_code, person.password)
    clock.advance(seconds=10)
    auth.resend()
    event = _last("mfa:code:send")
    assert (event.outcome, event.details["reason"]) == ("denied", "cooldown")


def test_expired_code_and_idle_timeout_are_audited(auth, person, smtp, clock):
    auth.sign_in(person)
    clock.advance(minutes=31)
    auth.client.get("/")
    end = _last("accounts:session:end")
    assert end.details["reason"] == "idle_timeout"
    assert end.subject_account_id == person.account.id
