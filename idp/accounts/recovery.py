"""Recovering an account without signing in: a forgotten password, a forgotten user code.

Both portals. Nothing here tells whether an account exists: a request is answered the same way
whether or not what was typed matched an active account, and its email (if any) is sent after
the response (:mod:`idp.mail.deferred`, handed in as ``deliver``). Requests are counted per
typed user code or address, known or not, and per client IP, in the sign-in throttle's ledger
(Redis when configured), so that the recovery pages are no way to flood a mailbox or to probe.

A reset link is a random token emailed once; only its SHA-256 is stored, it lives
``password_reset_link_seconds`` and is used once. Using it sets the new password under the
change-password rules, ends every session and grant of the account (back-channel logout to the
sites), lifts a sign-in lock, voids the account's other links, and tells the account's address.
A citizen first answers one of their security questions, under the sign-in question's throttle.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from limits import parse_many
from sqlalchemy import delete, func, select

from idp.accounts import attempts
from idp.accounts.attempts import Window
from idp.accounts.models import Account, AccountRole, AccountStatus, PasswordReset, Portal
from idp.accounts.services import (
    check_new_password,
    find_by_user_code,
    unlock_account,
)
from idp.accounts.sessions import EndReason, end_account_sessions
from idp.accounts.user_codes import normalize_user_code
from idp.audit.services import ClientInfo, record, record_own
from idp.audit.tags import AuditAction, Outcome
from idp.citizens.answers import check_answer
from idp.citizens.catalogue import QUESTIONS_PER_ACCOUNT
from idp.citizens.models import SecurityAnswer
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.errors import CodeError, ForbiddenError, NotFoundError, ThrottledError
from idp.events import CredentialsChanged, CredentialsReset, publish
from idp.mail.messages import account_message, user_codes_message
from idp.runtime import Runtime

#: Where each portal's reset links lead (the token follows).
RESET_PATHS = {
    Portal.ENTERPRISE: "/connexion/mot-de-passe-oublie/",
    Portal.CITIZEN: "/citoyens/connexion/mot-de-passe-oublie/",
}
_NAMESPACE = "idp-recovery"
_QUESTION_NAMESPACE = "idp-reset-question"

Deliver = Callable[[EmailMessage], None]


@dataclass(frozen=True, slots=True)
class OpenedReset:
    """A reset waiting for its link, and the link's token (emailed once, never stored)."""

    reset: PasswordReset
    link_token: str


def token_hash(link_token: str) -> str:
    return hashlib.sha256(link_token.encode()).hexdigest()


# -- throttle ----------------------------------------------------------------------------------


def count_recovery_request(
    session: DbSession, runtime: Runtime, purpose: str, typed: str, client: ClientInfo
) -> None:
    """Count one request under what was typed (known or not) and the client IP, or raise
    :class:`ThrottledError` (audited) when either is full. Requests are never given back."""
    settings = runtime.settings
    key = hashlib.sha256(f"{purpose}:{typed}".encode()).hexdigest()[:32]
    ip = client.ip or "unknown"
    windows = [
        *_windows("account", key, settings.recovery_account_limits),
        *_windows("ip", ip, settings.recovery_ip_limits),
    ]
    blocked = runtime.throttle.ledger.reserve(windows, [], attempts.new_token(), attempts.now())
    if blocked is None:
        return
    record(
        session,
        runtime.clock,
        AuditAction.RECOVERY_THROTTLED,
        Outcome.DENIED,
        client=client,
        purpose=purpose,
    )
    raise ThrottledError(
        _l("Too many requests."),
        retry_at=datetime.fromtimestamp(blocked.retry_at, UTC),
        scope="recovery",
    )


def _windows(kind: str, identifier: str, limits: str) -> list[Window]:
    return [
        Window(
            f"{_NAMESPACE}/{kind}/{identifier}/{item.amount}-{item.get_expiry()}",
            item.amount,
            item.get_expiry(),
        )
        for item in parse_many(limits)
    ]


# -- forgotten password: the request -----------------------------------------------------------


def request_password_reset(
    session: DbSession,
    runtime: Runtime,
    *,
    portal: Portal,
    user_code: str,
    email: str,
    client: ClientInfo,
    deliver: Deliver,
) -> None:
    """Email a reset link if ``user_code`` and ``email`` (compared without regard to case, in
    constant time) are those of an active account of ``portal``; otherwise do nothing more.
    Either way the same is audited and returned."""
    code = normalize_user_code(user_code)
    count_recovery_request(session, runtime, "password", code, client)
    account = find_by_user_code(session, code)
    typed = (email or "").strip().lower().encode()
    known = (account.email if account else "").lower().encode()
    email_matches = hmac.compare_digest(typed, known)
    matched = (
        account is not None and email_matches and account.portal == portal and account.is_active
    )
    record(
        session,
        runtime.clock,
        AuditAction.PASSWORD_RESET_REQUEST,
        Outcome.SUCCESS if matched else Outcome.FAILURE,
        client=client,
        subject_id=account.id if account else None,
        enterprise_id=account.enterprise_id if account else None,
        reason=None if matched else "no_match",
    )
    if not matched or account is None:
        return
    opened = open_password_reset(session, runtime, account)
    link = f"{runtime.settings.issuer}{RESET_PATHS[portal]}{opened.link_token}"
    deliver(
        account_message(
            session,
            runtime,
            account,
            "password_reset",
            link=link,
            times={"expires": opened.reset.expires_at},
        )
    )


def open_password_reset(session: DbSession, runtime: Runtime, account: Account) -> OpenedReset:
    """A new link for ``account`` (its earlier ones stay usable until one is used)."""
    now = runtime.clock()
    link_token = secrets.token_urlsafe(32)
    reset = PasswordReset(
        account_id=account.id,
        account=account,
        token_hash=token_hash(link_token),
        created_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.password_reset_link_seconds),
    )
    session.add(reset)
    session.flush()
    return OpenedReset(reset, link_token)


# -- forgotten password: the link --------------------------------------------------------------

_LINK_INVALID = _l(
    "This link is no longer valid: it was already used, it expired, or a newer one replaced "
    "it. Ask for a new link."
)


def find_password_reset(
    session: DbSession, runtime: Runtime, link_token: str, portal: Portal
) -> PasswordReset:
    """The reset an emailed link stands for, if it may still be used at ``portal``."""
    reset = session.scalars(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(link_token))
    ).one_or_none()
    if (
        reset is None
        or reset.used_at is not None
        or runtime.clock() >= reset.expires_at
        or not reset.account.is_active
        or reset.account.portal != portal
    ):
        raise NotFoundError(_LINK_INVALID)
    return reset


def reset_question(session: DbSession, runtime: Runtime, reset: PasswordReset) -> SecurityAnswer:
    """The citizen's question this link asks: fixed per link (an HMAC of it), so reloading the
    page never offers an easier one."""
    digest = hmac.new(runtime.code_key, f"reset:{reset.token_hash}".encode(), "sha256")
    position = digest.digest()[0] % QUESTIONS_PER_ACCOUNT
    return session.scalars(
        select(SecurityAnswer).where(
            SecurityAnswer.account_id == reset.account_id, SecurityAnswer.position == position
        )
    ).one()


def check_reset_answer(
    session: DbSession,
    runtime: Runtime,
    reset: PasswordReset,
    answer: str,
    *,
    client: ClientInfo,
) -> None:
    """The citizen's answer to the link's question, a guess under the sign-in throttle of the
    account (delays, lock) and at most ``citizen_security_question_attempts`` per link: past
    them the link is void. A wrong answer raises :class:`CodeError` (audited: commit it)."""
    account = reset.account
    asked = reset_question(session, runtime, reset)
    this_link = Window(
        f"{_QUESTION_NAMESPACE}/{reset.id}",
        runtime.settings.citizen_security_question_attempts,
        runtime.settings.password_reset_link_seconds,
    )
    check_answer(
        session,
        runtime,
        account,
        asked,
        answer,
        window=this_link,
        client=client,
        give_up=lambda: _void(session, runtime, reset),
        error_details={"field": "answer"},
        purpose="password_reset",
    )


def _void(session: DbSession, runtime: Runtime, reset: PasswordReset) -> NoReturn:
    reset.used_at = runtime.clock()
    raise CodeError(
        _l("Too many wrong answers: this link can no longer be used. Ask for a new link."),
        reason="voided",
    )


def complete_password_reset(
    session: DbSession,
    runtime: Runtime,
    reset: PasswordReset,
    new_password: str,
    *,
    question_answered: bool = False,
    client: ClientInfo,
    deliver: Deliver,
) -> Account:
    """Set the new password with the link (once). A citizen's link needs the question
    answered first (:func:`check_reset_answer`, in the same request)."""
    account = reset.account
    if account.is_citizen and not question_answered:
        raise ForbiddenError()
    check_new_password(runtime, account, new_password)
    now = runtime.clock()
    # Two submissions of one link at once: the second finds it used.
    used = session.execute(
        PasswordReset.__table__.update()
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    if getattr(used, "rowcount", 0) != 1:
        raise NotFoundError(_LINK_INVALID)
    reset.used_at = now
    session.execute(
        delete(PasswordReset).where(
            PasswordReset.account_id == account.id,
            PasswordReset.id != reset.id,
            PasswordReset.used_at.is_(None),
        )
    )
    account.password_hash = runtime.hashing.hash(new_password)
    account.must_change_password = False
    ended = end_account_sessions(session, runtime, account.id, EndReason.PASSWORD_RESET)
    grants = publish(session, runtime, CredentialsReset(account.id, cause=EndReason.PASSWORD_RESET))
    publish(session, runtime, CredentialsChanged(account.id, "password", "update"))
    unlock_account(
        session,
        runtime,
        account,
        actor_id=account.id,
        client=client,
        reason="password_reset",
        only_if_locked=True,
    )
    record_own(
        session,
        runtime.clock,
        AuditAction.PASSWORD_RESET_COMPLETE,
        account,
        client=client,
        sessions_ended=ended,
        grants_ended=grants,
    )
    deliver(account_message(session, runtime, account, "password_changed", times={"when": now}))
    return account


# -- forgotten user code -----------------------------------------------------------------------


def send_user_codes(
    session: DbSession,
    runtime: Runtime,
    *,
    portal: Portal,
    email: str,
    neq: str | None = None,
    client: ClientInfo,
    deliver: Deliver,
) -> None:
    """Email the user codes of the active accounts of ``portal`` tied to ``email`` (and, for
    an enterprise, to the enterprise ``neq`` if given); nothing if there are none. Either way
    the same is audited and returned."""
    address = (email or "").strip().lower()
    count_recovery_request(session, runtime, "user_code", address, client)
    query = (
        select(Account)
        .where(func.lower(Account.email) == address, Account.status == AccountStatus.ACTIVE)
        .order_by(Account.user_code)
    )
    if portal is Portal.CITIZEN:
        query = query.where(Account.role == AccountRole.CITIZEN)
    else:
        query = query.where(Account.role != AccountRole.CITIZEN)
    if neq:
        query = query.join(Enterprise, Enterprise.id == Account.enterprise_id).where(
            Enterprise.neq == neq
        )
    accounts = list(session.scalars(query).unique())
    record(
        session,
        runtime.clock,
        AuditAction.USER_CODE_REMINDER,
        Outcome.SUCCESS if accounts else Outcome.FAILURE,
        client=client,
        subject_id=accounts[0].id if len(accounts) == 1 else None,
        accounts=len(accounts),
        reason=None if accounts else "no_match",
    )
    if accounts:
        deliver(user_codes_message(session, runtime, accounts, accounts[0].email))
