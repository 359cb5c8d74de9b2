"""An enterprise registers itself: its facts, its authorized representative, then a decision.

The enterprise is checked against the enterprise register (:mod:`idp.enterprises.registry`);
whatever is wrong — a fact that does not match, or an NEQ clicSÉQUR already knows (active,
pending, suspended or cancelled) — the applicant reads one message, and the check counts against
the client IP and the NEQ (:mod:`idp.enterprises.onboarding_throttle`). An accepted application
leaves the enterprise *pending activation* until a provider operator decides
(:mod:`idp.enterprises.lifecycle`); a refused enterprise may apply again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction, Outcome
from idp.db_types import DbSession
from idp.enterprises.lifecycle_policy import may_apply_again
from idp.enterprises.mail import enterprise_message, local_time, send_notice
from idp.enterprises.models import (
    Enterprise,
    EnterpriseApplication,
    EnterpriseStatus,
    LegalForm,
)
from idp.enterprises.onboarding_throttle import OnboardingThrottle
from idp.enterprises.registry import EnterpriseFacts, EnterpriseRegistryUnavailableError
from idp.enterprises.services import find_by_neq, normalize_neq
from idp.enterprises.user_files import UserFileData, clean_user_file
from idp.errors import (
    EnterpriseNotConfirmedError,
    ServiceUnavailableError,
    ThrottledError,
    ValidationError,
)
from idp.runtime import Runtime

logger = logging.getLogger(__name__)

LEGAL_NAME_MAX = 200
POSITION_MAX = 100

NOT_CONFIRMED = _l(
    "This enterprise cannot be registered with this information. Check its NEQ, its legal name "
    "and its legal form exactly as they appear in the enterprise register (Registraire des "
    "entreprises), then try again. If your enterprise already uses clicSÉQUR, its electronic "
    "services manager can sign in."
)


@dataclass(frozen=True)
class EnterpriseStep:
    neq: str
    legal_name: str
    legal_form: str


@dataclass(frozen=True)
class RepresentativeStep:
    first_name: str
    last_name: str
    position: str
    email: str
    telephone: str
    extension: str = ""


@dataclass(frozen=True)
class Representative:
    """The representative's details, checked for form."""

    first_name: str
    last_name: str
    position: str
    email: str
    telephone: str
    extension: str | None

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def clean_enterprise(step: EnterpriseStep) -> EnterpriseFacts:
    """Check the form of each fact (these messages may name the field: they reveal nothing)."""
    try:
        neq = normalize_neq(step.neq)
    except ValidationError as exc:
        exc.details["field"] = "neq"
        raise
    legal_name = " ".join((step.legal_name or "").split())
    if not legal_name:
        raise ValidationError(_l("Enter the enterprise's legal name."), field="legal_name")
    if len(legal_name) > LEGAL_NAME_MAX:
        raise ValidationError(
            _l("The legal name has at most %(count)s characters.", count=LEGAL_NAME_MAX),
            field="legal_name",
        )
    if step.legal_form not in set(LegalForm):
        raise ValidationError(_l("Choose the enterprise's legal form."), field="legal_form")
    return EnterpriseFacts(neq, legal_name, step.legal_form)


def clean_representative(step: RepresentativeStep) -> Representative:
    """Check the representative's details; errors name the field."""
    position = " ".join((step.position or "").split())
    if not step.telephone.strip():
        raise ValidationError(
            _l("Enter a telephone number of 10 digits, such as 418 555-0123."), field="telephone"
        )
    clean = clean_user_file(
        UserFileData(step.first_name, step.last_name, step.email, step.telephone, step.extension)
    )
    if not position:
        raise ValidationError(_l("Enter the representative's position."), field="position")
    if len(position) > POSITION_MAX:
        raise ValidationError(
            _l("The position has at most %(count)s characters.", count=POSITION_MAX),
            field="position",
        )
    assert clean.telephone is not None  # checked above  # noqa: S101
    return Representative(
        clean.first_name[:100],
        clean.last_name[:100],
        position,
        clean.email,
        clean.telephone,
        clean.extension,
    )


@dataclass(frozen=True)
class NotAccepted:
    """Why an application cannot go ahead: a typed error for the page to show.

    Returned rather than raised: the refusal is audited and counted, and its audit event must
    be committed with the page (a raised error rolls the request's work back).
    """

    error: EnterpriseNotConfirmedError | ThrottledError | ServiceUnavailableError


def verify_enterprise(
    session: DbSession, runtime: Runtime, facts: EnterpriseFacts, *, client: ClientInfo
) -> NotAccepted | None:
    """Is this enterprise in the register as typed, and new to clicSÉQUR? Otherwise the one
    neutral :class:`EnterpriseNotConfirmedError` (throttled per IP and per NEQ)."""
    throttle = OnboardingThrottle(runtime.settings, runtime.throttle.ledger)
    reservation = throttle.reserve(client.ip or "unknown", facts.neq)
    if reservation.retry_at is not None:
        _audit_refusal(session, runtime, Outcome.DENIED, "throttled", client)
        return NotAccepted(ThrottledError(retry_at=reservation.retry_at, scope="onboarding"))
    try:
        matched = runtime.enterprise_registry.matches(facts)
    except EnterpriseRegistryUnavailableError:
        # Nothing was checked: the place goes back.
        throttle.give_back(reservation)
        _audit_refusal(session, runtime, Outcome.FAILURE, "registry_unavailable", client)
        return NotAccepted(
            ServiceUnavailableError(
                _l(
                    "The enterprise register does not answer right now, so the enterprise "
                    "cannot be checked. Nothing was kept; please try again in a few minutes."
                )
            )
        )
    # Asked whatever the register said, so both refusals take the same time.
    known = find_by_neq(session, facts.neq)
    if not matched or (known is not None and not may_apply_again(known.status)):
        reason = "no_match" if not matched else "already_known"
        _audit_refusal(session, runtime, Outcome.FAILURE, reason, client)
        return NotAccepted(EnterpriseNotConfirmedError(NOT_CONFIRMED))
    throttle.give_back(reservation)
    return None


def check_enterprise(
    session: DbSession, runtime: Runtime, step: EnterpriseStep, *, client: ClientInfo
) -> EnterpriseFacts | NotAccepted:
    """Step 1: the facts checked for form, then against the register (checked again at
    submission)."""
    facts = clean_enterprise(step)
    refused = verify_enterprise(session, runtime, facts, client=client)
    return facts if refused is None else refused


def submit_application(
    session: DbSession,
    runtime: Runtime,
    facts: EnterpriseFacts,
    representative: Representative,
    *,
    client: ClientInfo,
) -> EnterpriseApplication | NotAccepted:
    """Check the enterprise again, then keep the application: the enterprise is *pending
    activation*, its applicant is told by email that the application was received."""
    refused = verify_enterprise(session, runtime, facts, client=client)
    if refused is not None:
        return refused
    now = runtime.clock()
    try:
        # A savepoint: two applications for the same NEQ at once, and the second one's row
        # breaks the NEQ's uniqueness; it gets the same message as any other refusal.
        with session.begin_nested():
            enterprise = find_by_neq(session, facts.neq)
            if enterprise is None:
                enterprise = Enterprise(neq=facts.neq, created_at=now)
                session.add(enterprise)
            enterprise.legal_name = facts.legal_name
            enterprise.legal_form = facts.legal_form
            enterprise.status = EnterpriseStatus.PENDING_ACTIVATION
            enterprise.status_changed_at = now
            enterprise.status_reason = None
            session.flush()
    except IntegrityError:
        _audit_refusal(session, runtime, Outcome.FAILURE, "already_known", client)
        return NotAccepted(EnterpriseNotConfirmedError(NOT_CONFIRMED))
    application = EnterpriseApplication(
        enterprise_id=enterprise.id,
        enterprise=enterprise,
        legal_form=facts.legal_form,
        representative_first_name=representative.first_name,
        representative_last_name=representative.last_name,
        representative_position=representative.position,
        representative_email=representative.email,
        representative_telephone=representative.telephone,
        representative_extension=representative.extension,
        submitted_at=now,
    )
    session.add(application)
    session.flush()
    record(
        session,
        runtime.clock,
        AuditAction.ENTERPRISE_APPLY,
        client=client,
        enterprise_id=enterprise.id,
        neq=enterprise.neq,
        application=application.id,
    )
    send_notice(
        runtime,
        enterprise_message(
            "application_received",
            to=representative.email,
            name=representative.display_name,
            legal_name=enterprise.legal_name,
            neq=enterprise.neq,
            when_fr=local_time(runtime, now, "fr"),
            when_en=local_time(runtime, now, "en"),
        ),
    )
    return application


def _audit_refusal(
    session: DbSession, runtime: Runtime, outcome: Outcome, reason: str, client: ClientInfo
) -> None:
    # The NEQ is not recorded for refusals: what was typed may be anybody's number.
    record(
        session, runtime.clock, AuditAction.ENTERPRISE_APPLY, outcome, client=client, reason=reason
    )


def latest_application(session: DbSession, enterprise_id: int) -> EnterpriseApplication | None:
    return session.scalars(
        select(EnterpriseApplication)
        .where(EnterpriseApplication.enterprise_id == enterprise_id)
        .order_by(EnterpriseApplication.submitted_at.desc(), EnterpriseApplication.id.desc())
        .limit(1)
    ).one_or_none()
