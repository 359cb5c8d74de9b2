"""`idp lifecycle run`: inactivity, proxy reminders and expiries; idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from idp.accounts.models import AccountRole, AccountStatus, UserSession
from idp.audit.models import AuditEvent
from idp.extensions import db
from idp.lifecycle import cancellation_date, run_lifecycle
from idp.mailbox.models import MailboxMessage, MessageKind
from idp.proxies.models import ProxyKind
from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy
from tests.proxies.conftest import register


def _messages(kind: MessageKind, account_id: int | None = None) -> list[MailboxMessage]:
    query = select(MailboxMessage).where(MailboxMessage.kind == kind)
    if account_id is not None:
        query = query.where(MailboxMessage.account_id == account_id)
    return list(db.session.scalars(query))


def _count(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def test_cancellation_date_is_24_months_after_last_use(factory, clock):
    person = factory.person()
    assert cancellation_date(person.account) == date(2028, 11, 22)
    person.account.last_sign_in_at = clock.now + timedelta(days=10)
    assert cancellation_date(person.account) == date(2028, 12, 2)


@pytest.mark.parametrize(
    ("days_before", "threshold"), [(31, None), (30, 30), (8, 30), (7, 7), (1, 7)]
)
def test_inactivity_warning_thresholds(runtime, factory, clock, smtp, days_before, threshold):
    person = factory.person()
    clock.now = clock.now.replace(year=2028) - timedelta(days=days_before)
    report = run_lifecycle(db.session, runtime)
    db.session.commit()
    warnings = _messages(MessageKind.ACCOUNT_INACTIVITY, person.account.id)
    if threshold is None:
        assert warnings == []
        assert report.inactivity_warnings == 0
        return
    assert len(warnings) == 1
    assert warnings[0].dedupe_key.endswith(f":{threshold}")
    assert "2028-11-22" in warnings[0].body_fr
    assert smtp.count_to(person.email) == 1  # the email copy, through the real SMTP server


def test_inactive_account_is_cancelled_and_its_sessions_end(runtime, factory, clock, auth):
    person = factory.person()
    auth.sign_in(person)
    clock.now = clock.now.replace(year=2028)
    run_lifecycle(db.session, runtime)
    db.session.commit()
    db.session.refresh(person.account)
    assert person.account.status == AccountStatus.CANCELLED
    assert db.session.scalar(select(UserSession.end_reason)) == "account_inactive"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "accounts:account:cancel")
    ).one()
    assert event.details["reason"] == "inactivity"
    assert event.actor_account_id is None


def test_running_twice_sends_nothing_twice(runtime, factory, clock, smtp):
    person = factory.person()
    clock.now = clock.now.replace(year=2028) - timedelta(days=20)
    first = run_lifecycle(db.session, runtime)
    db.session.commit()
    second = run_lifecycle(db.session, runtime)
    db.session.commit()
    assert (first.inactivity_warnings, second.inactivity_warnings) == (1, 0)
    assert smtp.count_to(person.email) == 1
    clock.advance(days=14)  # now 6 days before: the 7-day warning, once
    assert run_lifecycle(db.session, runtime).inactivity_warnings == 1
    assert run_lifecycle(db.session, runtime).inactivity_warnings == 0


def test_proxy_reminders_go_to_granting_esms_and_holders(runtime, factory, clock):
    emitter = factory.enterprise()
    esm = factory.person(enterprise=emitter, name="Marie Tremblay").account
    user = factory.person(enterprise=emitter, name="Jean Roy", role=AccountRole.USER).account
    register(runtime, esm, "melccfp")
    proxy = create_proxy(
        db.session,
        runtime,
        esm,
        enterprise_id=emitter.id,
        kind=ProxyKind.INTERNAL,
        ends_on=clock.now.date() + timedelta(days=40),
        description="IQEA",
        grants=[MinistryGrant("melccfp", False, frozenset({"melccfp.iqea.operator"}))],
    )
    assign_proxy(db.session, runtime, esm, proxy, [user.id])
    db.session.commit()
    assert run_lifecycle(db.session, runtime).proxy_reminders == 0
    clock.advance(days=10)  # 30 days left
    assert run_lifecycle(db.session, runtime).proxy_reminders == 2
    assert run_lifecycle(db.session, runtime).proxy_reminders == 0
    clock.advance(days=25)  # 5 days left
    assert run_lifecycle(db.session, runtime).proxy_reminders == 2
    db.session.commit()
    assert {m.account_id for m in _messages(MessageKind.PROXY_EXPIRING)} == {esm.id, user.id}


def test_expired_proxy_is_recorded_once(runtime, factory, clock):
    emitter = factory.enterprise()
    esm = factory.person(enterprise=emitter, name="Marie Tremblay").account
    register(runtime, esm, "melccfp")
    proxy = create_proxy(
        db.session,
        runtime,
        esm,
        enterprise_id=emitter.id,
        kind=ProxyKind.INTERNAL,
        ends_on=clock.now.date(),
        description="IQEA",
        grants=[MinistryGrant("melccfp", False, frozenset({"melccfp.iqea.operator"}))],
    )
    db.session.commit()
    run_lifecycle(db.session, runtime)
    assert proxy.expiry_recorded_at is None  # still in force on its end date
    clock.advance(days=1)
    assert run_lifecycle(db.session, runtime).proxies_expired == 1
    assert run_lifecycle(db.session, runtime).proxies_expired == 0
    db.session.commit()
    assert _count("proxies:proxy:expire") == 1


def test_lifecycle_command(app, factory, clock):
    factory.person()
    clock.now = clock.now.replace(year=2028)
    result = app.test_cli_runner().invoke(args=["lifecycle", "run"])
    assert result.exit_code == 0, result.output
    assert "accounts cancelled: 1" in result.output
