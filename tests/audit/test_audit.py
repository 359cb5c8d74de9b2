"""Audit events: append-only at the database, no secrets in the details, bounded user agent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from idp.audit.models import AuditEvent
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction, Outcome
from idp.extensions import db


@pytest.fixture
def event(app, clock) -> AuditEvent:
    event = record(db.session, clock, AuditAction.ACCOUNT_CREATE, reason="first")
    db.session.commit()
    return event


def _stored() -> list[tuple[str, str, dict]]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.outcome, AuditEvent.details).order_by(AuditEvent.id)
    )
    return [tuple(row) for row in rows]


def _orm_update(event: AuditEvent) -> None:
    event.outcome = Outcome.FAILURE
    db.session.commit()


def _orm_delete(event: AuditEvent) -> None:
    db.session.delete(event)
    db.session.commit()


def _sql_update(event: AuditEvent) -> None:
    db.session.execute(sa.text("UPDATE audit_events SET action = 'tampered'"))
    db.session.commit()


def _sql_delete(event: AuditEvent) -> None:
    db.session.execute(sa.text("DELETE FROM audit_events"))
    db.session.commit()


def _core_update_details(event: AuditEvent) -> None:
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == event.id).values(details={"reason": "edited"})
    )
    db.session.commit()


@pytest.mark.parametrize(
    "change",
    [_orm_update, _orm_delete, _sql_update, _sql_delete, _core_update_details],
    ids=["orm-update", "orm-delete", "sql-update", "sql-delete-all", "core-update-details"],
)
def test_audit_events_cannot_be_changed_or_deleted(event, change):
    with pytest.raises(DBAPIError, match="append-only"):
        change(event)
    db.session.rollback()
    assert _stored() == [("accounts:account:create", "success", {"reason": "first"})]


def test_audit_events_can_still_be_appended(event, clock):
    record(db.session, clock, AuditAction.ACCOUNT_LOCK, Outcome.DENIED, reason="second")
    db.session.commit()
    assert _stored() == [
        ("accounts:account:create", "success", {"reason": "first"}),
        ("accounts:account:lock", "denied", {"reason": "second"}),
    ]


def test_record_is_part_of_the_callers_transaction(app, clock):
    record(db.session, clock, AuditAction.ACCOUNT_CREATE)
    db.session.rollback()
    assert _stored() == []


@pytest.mark.parametrize(
    "secret_key",
    [
        "password",
        "new_password",
        "current_password",
        "confirm_password",
        "temporary_password",
        "code",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "hash",
    ],
)
def test_record_drops_secret_details(app, clock, secret_key):
    event = record(
        db.session,
        clock,
        AuditAction.PASSWORD_CHANGE,
        reason="kept",
        code_id=7,
        sid="public-session-id",
        **{secret_key: "s3cret-value-0123"},
    )
    db.session.commit()
    expected = {"reason": "kept", "code_id": 7, "sid": "public-session-id"}
    assert event.details == expected
    assert _stored() == [("accounts:password:change", "success", expected)]


def test_record_keeps_ordinary_details(app, clock):
    details = {"reason": "expired", "code_id": 3, "remaining": 2, "locked": True, "role": "esm"}
    record(db.session, clock, AuditAction.MFA_CODE_VERIFY, Outcome.FAILURE, **details)
    db.session.commit()
    assert _stored() == [("mfa:code:verify", "failure", details)]


def test_user_agent_is_truncated_to_512_characters(app, clock):
    long_agent = "Mozilla/5.0 " + "x" * 600
    record(
        db.session,
        clock,
        AuditAction.SIGNIN_PASSWORD,
        client=ClientInfo(ip="203.0.113.9", user_agent=long_agent),
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalars(sa.select(AuditEvent)).one()
    assert stored.user_agent == long_agent[:512]
    assert stored.client_ip == "203.0.113.9"


@pytest.mark.parametrize(("given", "stored"), [(None, None), ("", None), ("curl/8.5", "curl/8.5")])
def test_short_or_missing_user_agent(app, clock, given, stored):
    record(db.session, clock, AuditAction.SIGNIN_PASSWORD, client=ClientInfo(user_agent=given))
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalars(sa.select(AuditEvent.user_agent)).one() == stored


def test_event_records_time_and_people(app, clock, factory):
    person = factory.person()
    record(
        db.session,
        clock,
        AuditAction.ACCOUNT_UNLOCK,
        actor_id=person.account.id,
        subject_id=person.account.id,
        enterprise_id=person.account.enterprise_id,
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "accounts:account:unlock")
    ).one()
    assert stored.occurred_at == clock.now
    assert stored.occurred_at.tzinfo is not None
    assert (stored.actor_account_id, stored.subject_account_id, stored.enterprise_id) == (
        person.account.id,
        person.account.id,
        person.account.enterprise_id,
    )
