"""A provider operator's decisions on an enterprise: activate, refuse, suspend, reactivate, cancel.

Which decision is open from which status is :mod:`idp.enterprises.lifecycle_policy`'s table.
Each decision is taken under a lock of the enterprise's row (two operators at once: the second
finds it decided), audited, and told: on activation the authorized representative's account is
made and its user code emailed (the temporary password is shown once to the operator, who
gives it by telephone: never both secrets in one channel); on refusal the applicant gets the
reason; on suspension, reactivation and cancellation the enterprise's ESMs find a notice in
their mailbox and its representatives an email.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.accounts.services import NewAccount, create_account
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.db_types import DbSession
from idp.enterprises.lifecycle_policy import RULES, Transition, is_allowed, is_provider_operator
from idp.enterprises.mail import enterprise_message, local_time, send_notice
from idp.enterprises.models import (
    ApplicationDecision,
    Enterprise,
    EnterpriseApplication,
    EnterpriseStatus,
)
from idp.enterprises.onboarding import latest_application
from idp.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from idp.events import EnterpriseChanged, publish
from idp.mailbox.notices import notify_enterprise_status
from idp.mfa.step_up import require_recent_code
from idp.runtime import Runtime

logger = logging.getLogger(__name__)

REASON_MAX = 500

_ACTIONS = {
    Transition.ACTIVATE: AuditAction.ENTERPRISE_ACTIVATE,
    Transition.REFUSE: AuditAction.ENTERPRISE_REFUSE,
    Transition.SUSPEND: AuditAction.ENTERPRISE_SUSPEND,
    Transition.REACTIVATE: AuditAction.ENTERPRISE_REACTIVATE,
    Transition.CANCEL: AuditAction.ENTERPRISE_CANCEL,
}


@dataclass(frozen=True)
class Decision:
    """What a decision did: the enterprise, and for an activation the representative's new
    account (its temporary password to show once) and whether the user code was emailed."""

    enterprise: Enterprise
    representative: NewAccount | None = None
    emailed: bool = True


def find_enterprise(session: DbSession, enterprise_id: int) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFoundError()
    return enterprise


def decide(
    session: DbSession,
    runtime: Runtime,
    operator: Account,
    enterprise_id: int,
    transition: Transition,
    *,
    reason: str = "",
    verified_at: datetime | None = None,
    client: ClientInfo | None = None,
) -> Decision:
    """Take ``transition`` on the enterprise: the one entry point of the operator console."""
    if not is_provider_operator(operator):
        raise ForbiddenError()
    rule = RULES[transition]
    reason = " ".join((reason or "").split())
    if rule.needs_reason and not reason:
        raise ValidationError(_l("Write the reason: it is sent to the enterprise."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(
            _l("The reason has at most %(count)s characters.", count=REASON_MAX), field="reason"
        )
    if rule.needs_step_up:
        require_recent_code(runtime, verified_at)
    enterprise = _locked(session, enterprise_id)
    if not is_allowed(transition, enterprise.status):
        raise ConflictError(
            _l("This decision cannot be taken: the enterprise's status changed in the meantime.")
        )
    now = runtime.clock()
    enterprise.status = rule.target
    enterprise.status_changed_at = now
    enterprise.status_reason = reason or None
    record(
        session,
        runtime.clock,
        _ACTIONS[transition],
        client=client,
        actor_id=operator.id,
        enterprise_id=enterprise.id,
        reason=reason or None,
    )
    if transition in {Transition.ACTIVATE, Transition.REFUSE}:
        decision = _decide_application(session, runtime, operator, enterprise, transition, reason)
    else:
        decision = Decision(enterprise, emailed=_tell_status(session, runtime, enterprise, reason))
    _after_status_change(session, runtime, enterprise)
    return decision


def _after_status_change(session: DbSession, runtime: Runtime, enterprise: Enterprise) -> None:
    """The one hook where the rest of the provider hears of a new enterprise status: the live
    grants of its staff and of everyone acting for it are re-checked, those it no longer
    supports end, and the sites get back-channel logout tokens."""
    session.flush()
    ended = publish(session, runtime, EnterpriseChanged(enterprise.id))
    logger.info(
        "enterprise status changed",
        extra={"enterprise_id": enterprise.id, "status": enterprise.status, "grants_ended": ended},
    )


def _locked(session: DbSession, enterprise_id: int) -> Enterprise:
    """The enterprise re-read under a row lock (PostgreSQL; SQLite serialises writers)."""
    enterprise = session.scalars(
        select(Enterprise)
        .where(Enterprise.id == enterprise_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if enterprise is None:
        raise NotFoundError()
    return enterprise


def _decide_application(
    session: DbSession,
    runtime: Runtime,
    operator: Account,
    enterprise: Enterprise,
    transition: Transition,
    reason: str,
) -> Decision:
    application = latest_application(session, enterprise.id)
    if application is None or not application.is_pending:
        # A pending enterprise always has its application; made by hand, it has none.
        raise ConflictError(_l("This enterprise has no application waiting for a decision."))
    now = runtime.clock()
    application.decided_at = now
    application.decided_by_id = operator.id
    application.decision_reason = reason or None
    context = _mail_context(runtime, enterprise, application.representative_name)
    if transition == Transition.REFUSE:
        application.decision = ApplicationDecision.REFUSED
        emailed = send_notice(
            runtime,
            enterprise_message(
                "application_refused", to=application.representative_email, **context
            ),
        )
        return Decision(enterprise, emailed=emailed)
    application.decision = ApplicationDecision.ACTIVATED
    new = _create_representative(session, runtime, operator, enterprise, application)
    emailed = send_notice(
        runtime,
        enterprise_message(
            "activated", to=new.account.email, user_code=new.account.user_code, **context
        ),
    )
    return Decision(enterprise, representative=new, emailed=emailed)


def _create_representative(
    session: DbSession,
    runtime: Runtime,
    operator: Account,
    enterprise: Enterprise,
    application: EnterpriseApplication,
) -> NewAccount:
    """The authorized representative named in the application, with a temporary password."""
    new = create_account(
        session,
        runtime,
        enterprise=enterprise,
        display_name=application.representative_name,
        email=application.representative_email,
        role=AccountRole.AUTHORIZED_REPRESENTATIVE,
        actor_id=operator.id,
    )
    account = new.account
    account.first_name = application.representative_first_name
    account.last_name = application.representative_last_name
    account.telephone = application.representative_telephone
    account.telephone_extension = application.representative_extension
    application.representative_id = account.id
    return new


def _tell_status(session: DbSession, runtime: Runtime, enterprise: Enterprise, reason: str) -> bool:
    """Suspended, reactivated or cancelled: a notice to each ESM, an email to each
    representative. False if an email could not be sent."""
    notify_enterprise_status(session, runtime, enterprise)
    kind = str(enterprise.status) if enterprise.status != EnterpriseStatus.ACTIVE else "reactivated"
    emailed = True
    for representative in representatives_of(session, enterprise.id):
        context = _mail_context(runtime, enterprise, representative.display_name, reason)
        message = enterprise_message(kind, to=representative.email, **context)
        emailed = send_notice(runtime, message) and emailed
    return emailed


def representatives_of(session: DbSession, enterprise_id: int) -> list[Account]:
    return list(
        session.scalars(
            select(Account).where(
                Account.enterprise_id == enterprise_id,
                Account.role == AccountRole.AUTHORIZED_REPRESENTATIVE,
                Account.status == AccountStatus.ACTIVE,
            )
        )
    )


def _mail_context(
    runtime: Runtime, enterprise: Enterprise, name: str, reason: str | None = None
) -> dict[str, str]:
    now = runtime.clock()
    return {
        "name": name,
        "legal_name": enterprise.legal_name,
        "neq": enterprise.neq,
        "reason": reason or enterprise.status_reason or "",
        "when_fr": local_time(runtime, now, "fr"),
        "when_en": local_time(runtime, now, "en"),
    }


def pending_applications(session: DbSession) -> list[EnterpriseApplication]:
    """The applications waiting for a decision, oldest first."""
    return list(
        session.scalars(
            select(EnterpriseApplication)
            .where(EnterpriseApplication.decided_at.is_(None))
            .order_by(EnterpriseApplication.submitted_at, EnterpriseApplication.id)
        )
    )


def applications_of(session: DbSession, enterprise_id: int) -> list[EnterpriseApplication]:
    """Every application of the enterprise, newest first."""
    return list(
        session.scalars(
            select(EnterpriseApplication)
            .where(EnterpriseApplication.enterprise_id == enterprise_id)
            .order_by(EnterpriseApplication.submitted_at.desc(), EnterpriseApplication.id.desc())
        )
    )


def enterprises_by_status(
    session: DbSession, status: str | None = None, neq: str | None = None, limit: int = 200
) -> list[Enterprise]:
    """Enterprises for the console's list, by name: all, one status, or one NEQ."""
    query = select(Enterprise).order_by(Enterprise.legal_name, Enterprise.id).limit(limit)
    if status:
        query = query.where(Enterprise.status == status)
    if neq:
        query = query.where(Enterprise.neq == neq)
    return list(session.scalars(query))
