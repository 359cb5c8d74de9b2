"""Registering an enterprise for a ministry's online services, and the ministry's decision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp.accounts.models import Account
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction, Outcome
from idp.db_types import DbSession
from idp.enterprises.policies import can_manage, is_operator_of
from idp.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from idp.events import EnterpriseChanged, publish
from idp.mailbox.notices import notify_registration_decided, notify_registration_withdrawn
from idp.mfa.step_up import require_recent_code
from idp.ministries import policies
from idp.ministries.models import MinistryRegistration, RegistrationStatus
from idp.ministries.queries import registration_of
from idp.runtime import Runtime


def submit_registration(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    *,
    enterprise_id: int,
    ministry_key: str,
    answers: Mapping[str, str],
    client: ClientInfo | None = None,
) -> MinistryRegistration:
    """The ESM asks a ministry to open its online services to the enterprise (« En traitement »)."""
    if not can_manage(actor, enterprise_id):
        raise ForbiddenError()
    ministry = runtime.catalogue.ministry(ministry_key)
    if ministry is None:
        raise NotFoundError(_l("This ministry does not exist."))
    if not policies.enterprise_may_register(actor.enterprise):
        raise ConflictError(
            _l(
                "The enterprise is not active at clicSÉQUR: it cannot register for a "
                "ministry's online services until it is."
            )
        )
    expected = {q.key for q in ministry.registration_questions}
    cleaned = {k: (answers.get(k) or "").strip() for k in expected}
    missing = sorted(k for k, v in cleaned.items() if not v)
    if missing or set(answers) - expected:
        raise ValidationError(_l("Answer every question of the ministry."), fields=missing)
    registration = registration_of(session, enterprise_id, ministry_key)
    now = runtime.clock()
    if not policies.can_submit(registration):
        raise ConflictError(_l("The enterprise is already registered for this ministry."))
    if registration is None:
        registration = MinistryRegistration(enterprise_id=enterprise_id, ministry_key=ministry_key)
    # A registration refused, withdrawn or cancelled may be asked for again: the same row goes
    # back to pending.
    registration.status = RegistrationStatus.PENDING
    registration.answers = cleaned
    registration.submitted_at = now
    registration.submitted_by_id = actor.id
    registration.decided_at = None
    registration.decided_by_id = None
    registration.decision_reason = None
    try:
        # A savepoint: two ESMs submitting at the same moment meet the unique constraint; the
        # second gets the same answer as a double submission, and its transaction lives on.
        with session.begin_nested():
            session.add(registration)
            session.flush()
    except IntegrityError as exc:
        # The savepoint's rollback took the new row out of the session with it.
        raise ConflictError(_l("The enterprise is already registered for this ministry.")) from exc
    record(
        session,
        runtime.clock,
        AuditAction.REGISTRATION_SUBMIT,
        client=client,
        actor_id=actor.id,
        enterprise_id=enterprise_id,
        ministry=ministry_key,
    )
    return registration


def decide_registration(
    session: DbSession,
    runtime: Runtime,
    operator: Account,
    registration: MinistryRegistration,
    *,
    activate: bool,
    reason: str = "",
    client: ClientInfo | None = None,
) -> None:
    """The ministry's operator activates or refuses a pending registration (reason required)."""
    if not is_operator_of(operator, registration.ministry_key):
        raise ForbiddenError()
    _decide(
        session,
        runtime,
        registration,
        activate=activate,
        reason=reason,
        operator_id=operator.id,
        client=client,
    )


def decide_registration_for_ministry(
    session: DbSession,
    runtime: Runtime,
    ministry_key: str,
    registration: MinistryRegistration,
    *,
    activate: bool,
    reason: str = "",
    api_client: str,
    client: ClientInfo | None = None,
) -> None:
    """The same decision taken by the ministry's back-end through the Management API
    (``api_client``, its client id, is recorded in place of an operator)."""
    if registration.ministry_key != ministry_key:
        raise ForbiddenError()
    _decide(
        session,
        runtime,
        registration,
        activate=activate,
        reason=reason,
        operator_id=None,
        client=client,
        api_client=api_client,
    )


def _decide(
    session: DbSession,
    runtime: Runtime,
    registration: MinistryRegistration,
    *,
    activate: bool,
    reason: str,
    operator_id: int | None,
    client: ClientInfo | None,
    **audit_details: Any,
) -> None:
    """Pending only; a refusal says why; audited; the enterprise's ESMs are told."""
    # Read again under a row lock: the operator's page and the ministry's back-end may decide
    # at the same moment, and only the first decision stands (SQLite serialises writers).
    status = session.scalar(
        select(MinistryRegistration.status)
        .where(MinistryRegistration.id == registration.id)
        .with_for_update()
    )
    if status != RegistrationStatus.PENDING:
        raise ConflictError(_l("This registration was already decided."))
    reason = (reason or "").strip()
    if not activate and not reason:
        raise ValidationError(_l("Give the reason for the refusal."), field="reason")
    registration.status = RegistrationStatus.ACTIVE if activate else RegistrationStatus.REFUSED
    registration.decided_at = runtime.clock()
    registration.decided_by_id = operator_id
    registration.decision_reason = reason or None
    record(
        session,
        runtime.clock,
        AuditAction.REGISTRATION_DECIDE,
        Outcome.SUCCESS if activate else Outcome.DENIED,
        client=client,
        actor_id=operator_id,
        enterprise_id=registration.enterprise_id,
        ministry=registration.ministry_key,
        decision=registration.status,
        **audit_details,
    )
    notify_registration_decided(session, runtime, registration)


def withdraw_registration(
    session: DbSession,
    runtime: Runtime,
    operator: Account,
    registration: MinistryRegistration,
    *,
    reason: str,
    client: ClientInfo | None = None,
) -> None:
    """The ministry's operator withdraws an active registration (reason required).

    The enterprise's rights at the ministry are gone at once: live grants that rested on them
    end, with back-channel logout to the sites; its ESMs are told in their mailbox.
    """
    if not is_operator_of(operator, registration.ministry_key):
        raise ForbiddenError()
    if not policies.can_withdraw(operator, registration):
        raise ConflictError(_l("Only an active registration can be withdrawn."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_l("Give the reason for the withdrawal."), field="reason")
    _end(session, runtime, operator, registration, RegistrationStatus.WITHDRAWN, reason)
    record(
        session,
        runtime.clock,
        AuditAction.REGISTRATION_WITHDRAW,
        client=client,
        actor_id=operator.id,
        enterprise_id=registration.enterprise_id,
        ministry=registration.ministry_key,
    )
    notify_registration_withdrawn(session, runtime, registration)


def cancel_registration(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    registration: MinistryRegistration,
    *,
    verified_at: datetime | None = None,
    client: ClientInfo | None = None,
) -> None:
    """The enterprise's ESM ends its registration at a ministry (active or in process).

    Sensitive, since every right there ends with it: the emailed code must have been entered
    within the last minutes (``verified_at``). It may be asked for again later.
    """
    if not can_manage(actor, registration.enterprise_id):
        raise ForbiddenError()
    if not policies.can_cancel(actor, registration):
        raise ConflictError(_l("This registration is not active or in process."))
    require_recent_code(runtime, verified_at)
    _end(session, runtime, actor, registration, RegistrationStatus.CANCELLED, None)
    record(
        session,
        runtime.clock,
        AuditAction.REGISTRATION_CANCEL,
        client=client,
        actor_id=actor.id,
        enterprise_id=registration.enterprise_id,
        ministry=registration.ministry_key,
    )


def _end(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    registration: MinistryRegistration,
    status: RegistrationStatus,
    reason: str | None,
) -> None:
    registration.status = status
    registration.decided_at = runtime.clock()
    registration.decided_by_id = actor.id
    registration.decision_reason = reason
    session.flush()
    publish(session, runtime, EnterpriseChanged(registration.enterprise_id))


def active_ministry_keys(session: DbSession, enterprise_id: int) -> set[str]:
    """Ministries where the enterprise is « Actif »: the only ones its proxies may name."""
    return set(
        session.scalars(
            select(MinistryRegistration.ministry_key).where(
                MinistryRegistration.enterprise_id == enterprise_id,
                MinistryRegistration.status == RegistrationStatus.ACTIVE,
            )
        )
    )
