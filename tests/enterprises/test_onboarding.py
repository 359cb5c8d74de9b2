"""An enterprise registers itself: form checks, the register, one neutral refusal, throttles."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.enterprises.models import Enterprise, EnterpriseApplication, EnterpriseStatus
from idp.enterprises.onboarding import (
    NOT_CONFIRMED,
    EnterpriseStep,
    NotAccepted,
    check_enterprise,
    clean_enterprise,
    clean_representative,
    submit_application,
)
from idp.enterprises.registry import EnterpriseRegistryUnavailableError
from idp.enterprises.services import create_enterprise
from idp.errors import (
    EnterpriseNotConfirmedError,
    ServiceUnavailableError,
    ThrottledError,
    ValidationError,
)
from idp.extensions import db
from tests.enterprises.onboarding_helpers import BOULANGERIE, CLIENT, REPRESENTATIVE, apply


def _events(reason: str | None = None) -> list[AuditEvent]:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "enterprises:application:submit")
    ).all()
    return [e for e in events if reason is None or e.details.get("reason") == reason]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"neq": "123"}, "neq"),
        ({"neq": "11900000O5"}, "neq"),
        ({"legal_name": "   "}, "legal_name"),
        ({"legal_name": "x" * 201}, "legal_name"),
        ({"legal_form": "llc"}, "legal_form"),
    ],
)
def test_the_form_of_each_fact_is_checked_and_named(changes, field):
    with pytest.raises(ValidationError) as excinfo:
        clean_enterprise(replace(BOULANGERIE, **changes))
    assert excinfo.value.details["field"] == field


def test_spaces_in_the_neq_are_accepted():
    assert clean_enterprise(replace(BOULANGERIE, neq="1190 000 005")).neq == "1190000005"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"position": " "}, "position"),
        ({"email": "pas-un-courriel"}, "email"),
        ({"telephone": ""}, "telephone"),
        ({"telephone": "555-0199"}, "telephone"),
        ({"extension": "12345"}, "extension"),
    ],
)
def test_the_representative_is_checked_field_by_field(changes, field):
    with pytest.raises(ValidationError) as excinfo:
        clean_representative(replace(REPRESENTATIVE, **changes))
    assert excinfo.value.details["field"] == field


def test_an_application_leaves_the_enterprise_pending_and_emails_the_applicant(runtime, smtp):
    application = apply(runtime)
    enterprise = application.enterprise
    assert enterprise.status == EnterpriseStatus.PENDING_ACTIVATION
    assert enterprise.legal_form == "business_corporation"
    assert enterprise.status_changed_at is not None
    assert application.representative_position == "Présidente"
    assert application.decided_at is None
    [mail] = [m for m in smtp.messages if REPRESENTATIVE.email in m.to]
    assert "reçue" in mail.message["Subject"]
    assert "Boulangerie du Vieux-Port inc." in mail.text
    assert "1190000005" in mail.text
    [event] = _events()
    assert event.outcome == "success"
    assert event.details["neq"] == "1190000005"


@pytest.mark.parametrize(
    "step",
    [
        EnterpriseStep("1190000099", "Boulangerie du Vieux-Port inc.", "business_corporation"),
        EnterpriseStep("1190000005", "Boulangerie du Port inc.", "business_corporation"),
        EnterpriseStep("1190000005", "Boulangerie du Vieux-Port inc.", "cooperative"),
    ],
    ids=["unknown NEQ", "other name", "other legal form"],
)
def test_whatever_fact_is_wrong_the_message_is_the_same(runtime, step):
    result = check_enterprise(db.session, runtime, step, client=CLIENT)
    assert isinstance(result, NotAccepted)
    assert isinstance(result.error, EnterpriseNotConfirmedError)
    assert result.error.message == NOT_CONFIRMED
    assert _events("no_match")
    assert db.session.scalars(select(EnterpriseApplication)).all() == []


@pytest.mark.parametrize(
    "status",
    [
        EnterpriseStatus.ACTIVE,
        EnterpriseStatus.PENDING_ACTIVATION,
        EnterpriseStatus.SUSPENDED,
        EnterpriseStatus.CANCELLED,
    ],
)
def test_an_enterprise_already_known_gets_the_same_neutral_message(runtime, status):
    known = create_enterprise(
        db.session, runtime.clock, neq=BOULANGERIE.neq, legal_name=BOULANGERIE.legal_name
    )
    known.status = status
    db.session.commit()
    result = submit_application(
        db.session,
        runtime,
        clean_enterprise(BOULANGERIE),
        clean_representative(REPRESENTATIVE),
        client=CLIENT,
    )
    assert isinstance(result, NotAccepted)
    assert result.error.message == NOT_CONFIRMED
    assert _events("already_known")


def test_a_refused_enterprise_may_apply_again(runtime):
    first = apply(runtime)
    first.enterprise.status = EnterpriseStatus.REFUSED
    first.decided_at = runtime.clock()
    db.session.commit()
    second = apply(runtime)
    assert second.id != first.id
    assert second.enterprise_id == first.enterprise_id
    assert second.enterprise.status == EnterpriseStatus.PENDING_ACTIVATION
    assert len(db.session.scalars(select(Enterprise)).all()) == 1


def test_refusals_are_throttled_per_neq(runtime):
    wrong = replace(BOULANGERIE, legal_name="Pas le bon nom")
    for index in range(3):  # onboarding_neq_limits: 3/hour
        client = replace(CLIENT, ip=f"198.51.100.{index}")
        result = check_enterprise(db.session, runtime, wrong, client=client)
        assert isinstance(result.error, EnterpriseNotConfirmedError)
    # The right facts now wait too, from another address: the NEQ is what is counted.
    blocked = check_enterprise(
        db.session, runtime, BOULANGERIE, client=replace(CLIENT, ip="198.51.100.99")
    )
    assert isinstance(blocked, NotAccepted)
    assert isinstance(blocked.error, ThrottledError)
    assert _events("throttled")


def test_refusals_are_throttled_per_client_ip(runtime):
    for index in range(10):  # onboarding_ip_limits: 10/hour
        step = EnterpriseStep(f"11900001{index:02d}", "Inconnue inc.", "cooperative")
        result = check_enterprise(db.session, runtime, step, client=CLIENT)
        assert isinstance(result.error, EnterpriseNotConfirmedError)
    blocked = check_enterprise(db.session, runtime, BOULANGERIE, client=CLIENT)
    assert isinstance(blocked.error, ThrottledError)
    elsewhere = check_enterprise(
        db.session, runtime, BOULANGERIE, client=replace(CLIENT, ip="192.0.2.1")
    )
    assert not isinstance(elsewhere, NotAccepted)


def test_accepted_checks_do_not_count(runtime):
    for _ in range(6):
        assert not isinstance(
            check_enterprise(db.session, runtime, BOULANGERIE, client=CLIENT), NotAccepted
        )


def test_an_unavailable_register_keeps_nothing_and_counts_nothing(runtime, monkeypatch):
    def down(_facts):
        raise EnterpriseRegistryUnavailableError

    monkeypatch.setattr(runtime.enterprise_registry, "matches", down)
    for _ in range(4):
        result = check_enterprise(db.session, runtime, BOULANGERIE, client=CLIENT)
        assert isinstance(result.error, ServiceUnavailableError)
    monkeypatch.undo()
    assert not isinstance(
        check_enterprise(db.session, runtime, BOULANGERIE, client=CLIENT), NotAccepted
    )
