"""Accepting and declining: one row per version accepted, an audit event for each answer."""

from __future__ import annotations

from sqlalchemy import select

from idp.accounts.models import Portal
from idp.audit.models import AuditEvent
from idp.audit.services import ClientInfo
from idp.audit.tags import AuditAction
from idp.conditions import services
from idp.conditions.models import ConditionsAcceptance
from idp.extensions import db

CLIENT = ClientInfo(ip="192.0.2.10", user_agent="test")


def events(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == str(action))))


def test_a_new_person_must_accept_the_version_in_force(factory, runtime):
    person = factory.person(accepted_conditions=False)
    in_force = runtime.conditions.in_force(Portal.ENTERPRISE)
    assert services.version_to_accept(db.session, runtime, person.account) == in_force


def test_accepting_records_the_version_once_and_audits_it(factory, runtime, clock):
    account = factory.person(accepted_conditions=False).account
    in_force = runtime.conditions.in_force(Portal.ENTERPRISE)
    first = services.accept(db.session, runtime, account, in_force, client=CLIENT)
    accepted_at = clock.now
    clock.advance(minutes=5)
    again = services.accept(db.session, runtime, account, in_force, client=CLIENT)
    db.session.commit()

    assert again is first
    rows = db.session.scalars(select(ConditionsAcceptance)).all()
    assert [(r.account_id, r.portal, r.version) for r in rows] == [
        (account.id, "enterprise", in_force.label)
    ]
    assert rows[0].accepted_at == accepted_at
    assert services.version_to_accept(db.session, runtime, account) is None
    [event] = events(AuditAction.CONDITIONS_ACCEPT)
    assert event.actor_account_id == event.subject_account_id == account.id
    assert event.enterprise_id == account.enterprise_id
    assert event.details == {"portal": "enterprise", "version": in_force.label}
    assert event.client_ip == "192.0.2.10"


def test_declining_is_audited_and_leaves_the_conditions_to_accept(factory, runtime):
    account = factory.person(accepted_conditions=False).account
    in_force = runtime.conditions.in_force(Portal.ENTERPRISE)
    services.decline(db.session, runtime, account, in_force, client=CLIENT)
    db.session.commit()

    assert db.session.scalars(select(ConditionsAcceptance)).all() == []
    assert services.version_to_accept(db.session, runtime, account) == in_force
    [event] = events(AuditAction.CONDITIONS_DECLINE)
    assert event.subject_account_id == account.id
    assert event.details == {"portal": "enterprise", "version": in_force.label}


def test_a_new_version_must_be_accepted_again(factory, runtime, publisher):
    account = factory.person().account
    assert services.version_to_accept(db.session, runtime, account) is None
    publisher.publish("enterprise", "2099-01-01")
    runtime = publisher.app.extensions["idp.runtime"]
    pending = services.version_to_accept(db.session, runtime, account)
    assert pending is not None
    assert pending.label == "2099-01-01"
    assert services.accepted_versions(db.session, account) == {
        runtime.conditions.versions[Portal.ENTERPRISE][0].label
    }


def test_a_citizen_accepts_the_citizens_conditions(runtime):
    from tests.citizens.conftest import make_citizen

    citizen = make_citizen(runtime, accepted_conditions=False)
    pending = services.version_to_accept(db.session, runtime, citizen)
    assert pending == runtime.conditions.in_force(Portal.CITIZEN)
    services.accept(db.session, runtime, citizen, pending)
    db.session.commit()
    row = db.session.scalars(select(ConditionsAcceptance)).one()
    assert row.portal == "citizen"
    assert services.version_to_accept(db.session, runtime, citizen) is None
