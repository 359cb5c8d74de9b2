"""A citizen's own account: services used, email address, security questions, closing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from idp.accounts.email_changes import (
    apply_email_change,
    open_email_change,
    remove_expired_email_changes,
)
from idp.accounts.models import Account, AccountStatus, EmailChange
from idp.accounts.services import check_password_guess, normalize_email
from idp.accounts.sessions import EndReason, end_account_sessions
from idp.audit.models import AuditEvent
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction, Outcome
from idp.citizens.enrolment import hashed_answers
from idp.citizens.mail import citizen_message, local_time, send_notice
from idp.citizens.models import CitizenEnrolment, CitizenProfile, SecurityAnswer
from idp.db_types import DbSession
from idp.errors import NotFoundError, ValidationError
from idp.runtime import Runtime

# How far back the list of services used looks (the audit trail is kept longer).
_SERVICES_LOOKBACK = 2000


@dataclass(frozen=True)
class ServiceUse:
    relying_party: str
    name: str
    last_used_at: datetime
    times: int


def profile_of(session: DbSession, account: Account) -> CitizenProfile:
    profile = session.get(CitizenProfile, account.id)
    if profile is None:
        raise NotFoundError("citizen profile missing")
    return profile


def services_used(
    session: DbSession, runtime: Runtime, account: Account, language: str
) -> list[ServiceUse]:
    """Each service signed in to, most recent first, from the activity history."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.subject_account_id == account.id,
            AuditEvent.action == AuditAction.OIDC_SIGN_IN,
            AuditEvent.outcome == Outcome.SUCCESS,
        )
        .order_by(AuditEvent.id.desc())
        .limit(_SERVICES_LOOKBACK)
    )
    seen: dict[str, ServiceUse] = {}
    for event in events:
        party = str((event.details or {}).get("relying_party") or "")
        if not party:
            continue
        if party in seen:
            use = seen[party]
            seen[party] = ServiceUse(use.relying_party, use.name, use.last_used_at, use.times + 1)
            continue
        seen[party] = ServiceUse(
            party, _service_name(runtime, party, language), event.occurred_at, 1
        )
    return list(seen.values())


def _service_name(runtime: Runtime, party: str, language: str) -> str:
    client = runtime.registry.client(party)
    if client is not None:
        return client.name(language)
    provider = runtime.registry.service_provider(party)
    if provider is not None:
        return provider.name(language)
    return party


def request_email_change(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    new_email: str,
    *,
    base_url: str,
    client: ClientInfo,
) -> EmailChange:
    """Send a link to the new address; the account keeps the old one until it is opened.
    (The page asks for a recent emailed code first: ``citizens.views.account``.)"""
    try:
        email = normalize_email(new_email)
    except ValidationError as exc:
        exc.details["field"] = "email"
        raise
    if email.lower() == account.email.lower():
        raise ValidationError(_l("This is already the address of your account."), field="email")
    profile = profile_of(session, account)
    opened = open_email_change(session, runtime, account, email, requested_by=account)
    change = opened.change
    runtime.sender.send(
        citizen_message(
            "email_change",
            to=email,
            locale=profile.locale,
            name=account.display_name,
            user_code=account.user_code,
            link=f"{base_url}/citoyens/compte/courriel/confirmer/{opened.link_token}",
            expires=local_time(runtime, change.expires_at, profile.locale),
        )
    )
    record(
        session,
        runtime.clock,
        AuditAction.CITIZEN_CONFIRMATION_SEND,
        client=client,
        actor_id=account.id,
        subject_id=account.id,
        purpose="email_change",
    )
    return change


def confirm_email_change(
    session: DbSession, runtime: Runtime, change: EmailChange, *, client: ClientInfo
) -> Account:
    account, old_email = apply_email_change(session, runtime, change)
    profile = profile_of(session, account)
    now = runtime.clock()
    profile.email_confirmed_at = now
    record(
        session,
        runtime.clock,
        AuditAction.CITIZEN_EMAIL_CHANGE,
        client=client,
        actor_id=account.id,
        subject_id=account.id,
    )
    # The old address hears of it: if someone else made the change, its owner knows at once.
    _notify(
        runtime,
        account,
        profile,
        "email_changed",
        to=old_email,
        new_email=change.email,
        when=local_time(runtime, now, profile.locale),
    )
    return account


def change_questions(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    chosen: list[tuple[str, str]],
    *,
    client: ClientInfo,
) -> None:
    answers = hashed_answers(runtime, chosen)
    session.execute(delete(SecurityAnswer).where(SecurityAnswer.account_id == account.id))
    for position, answer in enumerate(answers):
        session.add(
            SecurityAnswer(
                account_id=account.id,
                position=position,
                question_key=answer["question"],
                answer_hash=answer["answer_hash"],
            )
        )
    record(
        session,
        runtime.clock,
        AuditAction.CITIZEN_QUESTIONS_CHANGE,
        client=client,
        actor_id=account.id,
        subject_id=account.id,
    )


def forget_identity(session: DbSession, account: Account) -> None:
    """A closed or cancelled citizen account no longer holds the SIN's hash: the person can
    make a new account, and nothing ties this one to the number any more."""
    profile = session.get(CitizenProfile, account.id)
    if profile is not None:
        profile.sin_hash = None


def close_account(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    password: str,
    *,
    client: ClientInfo,
) -> None:
    """The holder closes the account: every session and service access ends now.

    The password asked is a guess like any other: under the sign-in throttle of the account.
    """
    check_password_guess(
        session,
        runtime,
        account,
        password,
        client=client,
        wrong=_l("The password is not right."),
        field="password",
    )
    profile = profile_of(session, account)
    now = runtime.clock()
    account.status = AccountStatus.CANCELLED
    account.status_changed_at = now
    forget_identity(session, account)
    end_account_sessions(session, runtime, account.id, EndReason.ACCOUNT_CLOSED)
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_CLOSE,
        client=client,
        actor_id=account.id,
        subject_id=account.id,
    )
    _notify(runtime, account, profile, "closed", when=local_time(runtime, now, profile.locale))


def warn_inactive_citizen(
    session: DbSession, runtime: Runtime, account: Account, cancel_on: date
) -> None:
    profile = profile_of(session, account)
    _notify(
        runtime,
        account,
        profile,
        "inactivity",
        cancel_on=format_date(cancel_on, "long", locale=profile.locale),
        link=f"{runtime.settings.issuer}/citoyens/connexion",
    )


def remove_expired_links(session: DbSession, runtime: Runtime) -> int:
    """Enrolments never confirmed and address changes never opened, once their time is up."""
    now = runtime.clock()
    removed = session.execute(delete(CitizenEnrolment).where(CitizenEnrolment.expires_at <= now))
    remove_expired_email_changes(session, runtime)
    return int(getattr(removed, "rowcount", 0) or 0)


def _notify(
    runtime: Runtime,
    account: Account,
    profile: CitizenProfile,
    kind: str,
    *,
    to: str | None = None,
    **context: Any,
) -> None:
    """A notice about the account, in the citizen's language, to its address unless ``to``."""
    send_notice(
        runtime,
        citizen_message(
            kind,
            to=to or account.email,
            locale=profile.locale,
            name=account.display_name,
            user_code=account.user_code,
            **context,
        ),
    )
