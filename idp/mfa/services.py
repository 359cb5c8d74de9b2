"""Emailed one-time codes (NIST SP 800-63B 5.1.3 out-of-band, email channel).

A code is 6 digits, valid ``mfa_code_ttl_seconds``, single use, bound to one pending session and
stored as an HMAC keyed by the server secret. Issuing a new code voids the previous one; after
``mfa_max_failed_attempts`` wrong entries the code is void. Codes are checked under a row lock
and consumed in the same transaction, so two requests cannot both use one.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select, update

from idp.accounts.models import UserSession
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction, Outcome
from idp.citizens.mail import citizen_message
from idp.citizens.models import CitizenProfile
from idp.db_types import DbSession
from idp.errors import CodeError, DeliveryError, ThrottledError
from idp.mfa.models import OneTimeCode
from idp.runtime import Runtime

CODE_DIGITS = 6


def code_hash(runtime: Runtime, user_session: UserSession, code: str) -> str:
    message = f"{user_session.id}:{code}".encode()
    return hmac.new(runtime.code_key, message, "sha256").hexdigest()


def issue_code(
    session: DbSession,
    runtime: Runtime,
    user_session: UserSession,
    *,
    client: ClientInfo,
    first_of_sign_in: bool = False,
) -> OneTimeCode:
    """Make a new code, void the earlier ones and email it.

    The hourly cap per account always applies; the cooldown only between codes of one
    sign-in (``first_of_sign_in`` is True for the code the password step sends). If the email
    cannot be sent, :class:`DeliveryError` is raised and the caller rolls back: no code exists
    that the person never received.
    """
    now = runtime.clock()
    _check_send_limits(session, runtime, user_session, now, cooldown=not first_of_sign_in)
    session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.user_session_id == user_session.id,
            OneTimeCode.consumed_at.is_(None),
            OneTimeCode.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    one_time_code = OneTimeCode(
        account_id=user_session.account_id,
        user_session_id=user_session.id,
        code_hash=code_hash(runtime, user_session, code),
        created_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.mfa_code_ttl_seconds),
        failed_attempts=0,
    )
    session.add(one_time_code)
    session.flush()
    runtime.sender.send(_code_message(session, runtime, user_session, code))
    record(
        session,
        runtime.clock,
        AuditAction.MFA_CODE_SEND,
        client=client,
        actor_id=user_session.account_id,
        subject_id=user_session.account_id,
        enterprise_id=user_session.account.enterprise_id,
        code_id=one_time_code.id,
    )
    return one_time_code


def has_usable_code(session: DbSession, runtime: Runtime, user_session: UserSession) -> bool:
    """Whether the session already holds a code that may still be entered."""
    now = runtime.clock()
    return (
        session.scalar(
            select(OneTimeCode.id)
            .where(
                OneTimeCode.user_session_id == user_session.id,
                OneTimeCode.consumed_at.is_(None),
                OneTimeCode.voided_at.is_(None),
                OneTimeCode.expires_at > now,
            )
            .limit(1)
        )
        is not None
    )


def _check_send_limits(
    session: DbSession,
    runtime: Runtime,
    user_session: UserSession,
    now: datetime,
    *,
    cooldown: bool,
) -> None:
    settings = runtime.settings
    # The cooldown stops "send again" from flooding a mailbox while the last code can still be
    # entered. A code that was used, voided (too many wrong entries) or expired does not count:
    # the person may ask for a new one at once (a step-up right after sign-in, say).
    latest = session.scalar(
        select(func.max(OneTimeCode.created_at)).where(
            OneTimeCode.user_session_id == user_session.id,
            OneTimeCode.consumed_at.is_(None),
            OneTimeCode.voided_at.is_(None),
            OneTimeCode.expires_at > now,
        )
    )
    wait = timedelta(seconds=settings.mfa_resend_cooldown_seconds)
    if cooldown and latest is not None and now - _aware(latest) < wait:
        raise ThrottledError(
            _l("No new code was sent: the last code, sent a moment ago, is still valid."),
            retry_at=_aware(latest) + wait,
            scope="codes",
            reason="cooldown",
        )
    hour_ago = now - timedelta(hours=1)
    recent = session.scalars(
        select(OneTimeCode.created_at)
        .where(OneTimeCode.account_id == user_session.account_id, OneTimeCode.created_at > hour_ago)
        .order_by(OneTimeCode.created_at)
    ).all()
    if len(recent) >= settings.mfa_max_codes_per_hour:
        raise ThrottledError(
            _l("No new code was sent: the number of codes per hour is reached."),
            retry_at=_aware(recent[-settings.mfa_max_codes_per_hour]) + timedelta(hours=1),
            scope="codes",
            reason="hourly_cap",
        )


def _aware(value: datetime) -> datetime:
    # Aggregates such as max() bypass the column type on SQLite and come back naive.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def verify_code(
    session: DbSession,
    runtime: Runtime,
    user_session: UserSession,
    code: str,
    *,
    client: ClientInfo,
) -> None:
    """Consume the current code of the session if ``code`` matches; else raise CodeError."""
    now = runtime.clock()
    current = session.scalars(
        select(OneTimeCode)
        .where(
            OneTimeCode.user_session_id == user_session.id,
            OneTimeCode.consumed_at.is_(None),
            OneTimeCode.voided_at.is_(None),
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
        .with_for_update()
    ).one_or_none()

    def audit(
        outcome: Outcome, action: AuditAction = AuditAction.MFA_CODE_VERIFY, **details: Any
    ) -> None:
        record(
            session,
            runtime.clock,
            action,
            outcome,
            client=client,
            actor_id=user_session.account_id,
            subject_id=user_session.account_id,
            enterprise_id=user_session.account.enterprise_id,
            **details,
        )

    if current is None:
        audit(Outcome.FAILURE, reason="no_active_code")
        raise CodeError(_l("This code is no longer valid. Ask for a new code."), reason="void")
    if now >= current.expires_at:
        current.voided_at = now
        audit(Outcome.FAILURE, reason="expired", code_id=current.id)
        raise CodeError(_l("This code has expired. Ask for a new code."), reason="expired")
    candidate = "".join(ch for ch in (code or "") if not ch.isspace())
    if not hmac.compare_digest(current.code_hash, code_hash(runtime, user_session, candidate)):
        # Counted in the database (not read-modify-write) so parallel guesses all count.
        session.execute(
            update(OneTimeCode)
            .where(OneTimeCode.id == current.id)
            .values(failed_attempts=OneTimeCode.failed_attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.refresh(current, ["failed_attempts"])
        remaining = runtime.settings.mfa_max_failed_attempts - current.failed_attempts
        audit(Outcome.FAILURE, reason="mismatch", code_id=current.id, remaining=remaining)
        if remaining <= 0:
            current.voided_at = now
            audit(
                Outcome.DENIED,
                AuditAction.MFA_CODE_VOID,
                reason="too_many_attempts",
                code_id=current.id,
            )
            raise CodeError(
                _l("Too many wrong entries: this code is void. Ask for a new code."),
                reason="voided",
            )
        raise CodeError(
            lazy_ngettext(
                "The code is not right. %(num)d attempt left.",
                "The code is not right. %(num)d attempts left.",
                remaining,
            ),
            reason="mismatch",
        )
    # Compare-and-set: of two requests presenting the same code at once, exactly one consumes
    # it, on every database (SQLite ignores FOR UPDATE; this UPDATE is atomic everywhere).
    consumed = session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.id == current.id,
            OneTimeCode.consumed_at.is_(None),
            OneTimeCode.voided_at.is_(None),
            # A right code racing the wrong entry that voids it loses (SQLite has no row lock).
            OneTimeCode.failed_attempts < runtime.settings.mfa_max_failed_attempts,
        )
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(consumed, "rowcount", 0) != 1:
        audit(Outcome.FAILURE, reason="already_used", code_id=current.id)
        raise CodeError(_l("This code is no longer valid. Ask for a new code."), reason="void")
    current.consumed_at = now
    audit(Outcome.SUCCESS, code_id=current.id)


def _code_message(
    session: DbSession, runtime: Runtime, user_session: UserSession, code: str
) -> EmailMessage:
    account = user_session.account
    minutes = runtime.settings.mfa_code_ttl_seconds // 60
    if account.is_citizen:
        # A citizen's emails are in the one language they chose, signed by their portal.
        profile = session.get(CitizenProfile, account.id)
        return citizen_message(
            "code",
            to=account.email,
            locale=profile.locale if profile else "fr",
            name=account.display_name,
            code=code,
            minutes=minutes,
        )
    message = EmailMessage()
    message["To"] = account.email
    message["Subject"] = "Code de vérification clicSÉQUR / clicSÉQUR verification code"
    context = {"code": code, "minutes": minutes, "name": account.display_name}
    message.set_content(render_template("mail/signin_code.txt", **context))
    message.add_alternative(render_template("mail/signin_code.html", **context), subtype="html")
    return message


__all__ = ["DeliveryError", "issue_code", "verify_code"]
