"""A provider operator's decisions: the policy table, then each decision's effects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from idp.accounts.models import Account, AccountRole
from idp.audit.models import AuditEvent
from idp.enterprises.lifecycle import decide
from idp.enterprises.lifecycle_policy import (
    Transition,
    allowed_transitions,
    is_allowed,
    is_final,
    is_provider_operator,
    may_apply_again,
)
from idp.enterprises.models import EnterpriseStatus
from idp.errors import ConflictError, ForbiddenError, StepUpRequiredError, ValidationError
from idp.extensions import db
from idp.mailbox.models import MailboxMessage, MessageKind
from tests.enterprises.onboarding_helpers import REPRESENTATIVE, apply, provider_operator

S, T = EnterpriseStatus, Transition

# Every (transition, status) pair: whether the policy allows it.
TABLE = {
    (T.ACTIVATE, S.PENDING_ACTIVATION): True,
    (T.REFUSE, S.PENDING_ACTIVATION): True,
    (T.SUSPEND, S.ACTIVE): True,
    (T.CANCEL, S.ACTIVE): True,
    (T.REACTIVATE, S.SUSPENDED): True,
    (T.CANCEL, S.SUSPENDED): True,
}


@pytest.mark.parametrize("transition", list(Transition))
@pytest.mark.parametrize("status", list(EnterpriseStatus))
def test_the_transition_table(transition, status):
    assert is_allowed(transition, status) is TABLE.get((transition, status), False)


def test_named_rules():
    assert is_final(S.CANCELLED)
    assert is_final(S.REFUSED)  # for the operator; the enterprise may apply again
    assert not is_allowed(T.SUSPEND, S.REFUSED)
    assert not is_allowed(T.REACTIVATE, S.CANCELLED)
    assert not is_allowed(T.ACTIVATE, S.ACTIVE)
    assert may_apply_again(S.REFUSED)
    assert not may_apply_again(S.CANCELLED)
    assert allowed_transitions(S.ACTIVE) == [T.SUSPEND, T.CANCEL]


def test_only_an_active_provider_operator_decides(runtime, factory):
    operator = provider_operator(runtime)
    assert is_provider_operator(operator.account)
    operator.account.status = "suspended"
    assert not is_provider_operator(operator.account)
    esm = factory.person()
    application = apply(runtime)
    with pytest.raises(ForbiddenError):
        decide(db.session, runtime, esm.account, application.enterprise_id, T.ACTIVATE)


def _audit(action: str) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).one()


def test_activation_creates_the_representative_and_emails_the_user_code_only(runtime, smtp):
    operator = provider_operator(runtime)
    application = apply(runtime)
    smtp.messages.clear()
    decision = decide(db.session, runtime, operator.account, application.enterprise_id, T.ACTIVATE)
    db.session.commit()
    assert decision.enterprise.status == S.ACTIVE
    new = decision.representative
    assert new is not None
    account = new.account
    assert account.role == AccountRole.AUTHORIZED_REPRESENTATIVE
    assert account.enterprise_id == application.enterprise_id
    assert (account.first_name, account.last_name) == ("Chantal", "Pelletier")
    assert account.telephone == "418 555-0199"
    assert account.must_change_password
    assert runtime.hashing.verify(account.password_hash, new.temporary_password)
    assert application.decision == "activated"
    assert application.decided_by_id == operator.account.id
    assert application.representative_id == account.id
    [mail] = smtp.messages
    assert mail.to == [REPRESENTATIVE.email]
    assert account.user_code in mail.text
    assert new.temporary_password not in mail.text
    event = _audit("enterprises:enterprise:activate")
    assert event.actor_account_id == operator.account.id
    assert event.enterprise_id == application.enterprise_id


def test_refusal_needs_a_reason_and_emails_it(runtime, smtp):
    operator = provider_operator(runtime)
    application = apply(runtime)
    with pytest.raises(ValidationError) as excinfo:
        decide(db.session, runtime, operator.account, application.enterprise_id, T.REFUSE)
    assert excinfo.value.details["field"] == "reason"
    smtp.messages.clear()
    decide(
        db.session,
        runtime,
        operator.account,
        application.enterprise_id,
        T.REFUSE,
        reason="Le NEQ est radié du registre.",
    )
    db.session.commit()
    assert application.enterprise.status == S.REFUSED
    assert application.enterprise.status_reason == "Le NEQ est radié du registre."
    assert application.decision == "refused"
    [mail] = smtp.messages
    assert "refusée" in mail.message["Subject"]
    assert "Le NEQ est radié du registre." in mail.text
    assert db.session.scalars(select(Account)).all() == [operator.account]


@pytest.fixture
def active(runtime, factory):
    """An activated enterprise, its representative, an ESM, and the operator who decided."""
    operator = provider_operator(runtime)
    application = apply(runtime)
    decision = decide(db.session, runtime, operator.account, application.enterprise_id, T.ACTIVATE)
    db.session.commit()
    esm = factory.person(enterprise=decision.enterprise, name="Marc Ouellet")
    return operator, decision.enterprise, esm


def test_suspension_needs_a_recent_code_and_a_reason(runtime, active, clock):
    operator, enterprise, _esm = active
    with pytest.raises(ValidationError):
        decide(db.session, runtime, operator.account, enterprise.id, T.SUSPEND, verified_at=clock())
    with pytest.raises(StepUpRequiredError):
        decide(
            db.session,
            runtime,
            operator.account,
            enterprise.id,
            T.SUSPEND,
            reason="Fraude",
            verified_at=clock() - timedelta(minutes=11),
        )
    assert enterprise.status == S.ACTIVE


def test_suspend_reactivate_cancel_tell_the_esms_and_the_representative(
    runtime, active, clock, smtp
):
    operator, enterprise, esm = active
    for transition, kind, subject in (
        (T.SUSPEND, MessageKind.ENTERPRISE_SUSPENDED, "suspendue"),
        (T.REACTIVATE, MessageKind.ENTERPRISE_REACTIVATED, "réactivée"),
        (T.CANCEL, MessageKind.ENTERPRISE_CANCELLED, "annulée"),
    ):
        smtp.messages.clear()
        decide(
            db.session,
            runtime,
            operator.account,
            enterprise.id,
            transition,
            reason="Motif de test",
            verified_at=clock(),
        )
        db.session.commit()
        [notice] = db.session.scalars(
            select(MailboxMessage).where(MailboxMessage.kind == kind)
        ).all()
        assert notice.account_id == esm.account.id
        [mail] = smtp.messages
        assert mail.to == [REPRESENTATIVE.email]
        assert subject in mail.message["Subject"]
    assert enterprise.status == S.CANCELLED
    _audit("enterprises:enterprise:suspend")
    _audit("enterprises:enterprise:reactivate")
    _audit("enterprises:enterprise:cancel")


def test_a_cancelled_enterprise_is_final(runtime, active, clock):
    operator, enterprise, _esm = active
    decide(
        db.session,
        runtime,
        operator.account,
        enterprise.id,
        T.CANCEL,
        reason="Dissolution",
        verified_at=clock(),
    )
    db.session.commit()
    for transition in Transition:
        with pytest.raises((ConflictError, ValidationError)):
            decide(
                db.session,
                runtime,
                operator.account,
                enterprise.id,
                transition,
                reason="Encore",
                verified_at=clock(),
            )
        db.session.rollback()


def test_an_enterprise_made_without_application_cannot_be_activated(runtime, factory):
    operator = provider_operator(runtime)
    enterprise = factory.enterprise()
    enterprise.status = S.PENDING_ACTIVATION
    db.session.commit()
    with pytest.raises(ConflictError):
        decide(db.session, runtime, operator.account, enterprise.id, T.ACTIVATE)
