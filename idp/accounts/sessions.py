"""Server-side sessions: the cookie holds a random token, the database holds its hash.

A session is *pending* between the password and the emailed code, then *authenticated*.
Idle and absolute timeouts are enforced here on every request; a person who ticked
« public computer » gets the shorter idle timeout and a cookie that dies with the browser.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from idp.accounts.models import Account, SessionStage, UserSession
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.db_types import DbSession
from idp.events import SessionsEnded, publish
from idp.runtime import Runtime

# Writing last_seen_at on every request would make every page a database write; a minute of
# slack on an idle timeout of ten or thirty is harmless.
_TOUCH_INTERVAL = timedelta(seconds=60)


class EndReason:
    SIGN_OUT = "sign_out"
    IDLE_TIMEOUT = "idle_timeout"
    ABSOLUTE_TIMEOUT = "absolute_timeout"
    PENDING_TIMEOUT = "pending_timeout"
    ACCOUNT_INACTIVE = "account_inactive"
    REPLACED = "replaced"
    RELYING_PARTY_LOGOUT = "relying_party_logout"
    SECURITY_QUESTION_FAILED = "security_question_failed"
    ACCOUNT_CLOSED = "account_closed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a password)
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a forgotten password was reset by link)
    # The person ended it from another of their sessions (« Mes sessions »).
    SIGNED_OUT_ELSEWHERE = "signed_out_elsewhere"


# Ends the person asked for themselves: they are the actor of the audit event.
_BY_THE_PERSON = frozenset({EndReason.SIGN_OUT, EndReason.SIGNED_OUT_ELSEWHERE})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_pending_session(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    *,
    public_computer: bool,
    client: ClientInfo,
) -> tuple[UserSession, str]:
    """Open a session after the password step; returns it and the token for the cookie."""
    now = runtime.clock()
    token = secrets.token_urlsafe(32)
    user_session = UserSession(
        token_hash=hash_token(token),
        sid=secrets.token_urlsafe(32),
        account_id=account.id,
        account=account,
        stage=SessionStage.PENDING_CODE,
        public_computer=public_computer,
        created_at=now,
        last_seen_at=now,
        amr="pwd",
        client_ip=client.ip,
        user_agent=(client.user_agent or "")[:512] or None,
    )
    session.add(user_session)
    session.flush()
    return user_session, token


# RFC 8176 method references: password, one-time code (by email), multiple factors.
AMR_PASSWORD_AND_CODE = "pwd otp mfa"  # noqa: S105 (method names)
# Password and a security question: two things known, not two factors (no "mfa").
AMR_PASSWORD_AND_QUESTION = "pwd kba"  # noqa: S105
# A passkey: proof of possession of a hardware- or platform-held key ("hwk"), unlocked by the
# person ("user": user verification is required), after the password or alone.
AMR_PASSWORD_AND_PASSKEY = "pwd hwk user mfa"  # noqa: S105
AMR_PASSKEY = "hwk user mfa"


def authenticate_session(
    session: DbSession,
    runtime: Runtime,
    user_session: UserSession,
    *,
    amr: str = AMR_PASSWORD_AND_CODE,
) -> str:
    """Mark the session authenticated and give it a new token (no session fixation)."""
    now = runtime.clock()
    token = secrets.token_urlsafe(32)
    account = user_session.account
    user_session.token_hash = hash_token(token)
    user_session.stage = SessionStage.AUTHENTICATED
    user_session.authenticated_at = now
    # A security question is not an emailed code: sensitive actions will still ask for one.
    user_session.code_verified_at = now if amr == AMR_PASSWORD_AND_CODE else None
    # The absolute timeout counts from the complete sign-in.
    user_session.created_at = now
    user_session.last_seen_at = now
    user_session.amr = amr
    user_session.previous_sign_in_at = account.last_sign_in_at
    account.last_sign_in_at = now
    return token


def load_session(session: DbSession, runtime: Runtime, token: str | None) -> UserSession | None:
    """The live session for a cookie token, ending it first if a timeout has passed."""
    if not token:
        return None
    user_session = session.scalars(
        select(UserSession).where(UserSession.token_hash == hash_token(token))
    ).one_or_none()
    if user_session is None or user_session.ended_at is not None:
        return None
    now = runtime.clock()
    reason = _expiry_reason(runtime, user_session, now)
    if reason is not None:
        end_session(session, runtime, user_session, reason)
        return None
    if now - user_session.last_seen_at >= _TOUCH_INTERVAL:
        user_session.last_seen_at = now
    return user_session


def _expiry_reason(runtime: Runtime, user_session: UserSession, now: datetime) -> str | None:
    settings = runtime.settings
    if not user_session.account.is_active:
        return EndReason.ACCOUNT_INACTIVE
    if user_session.stage == SessionStage.PENDING_CODE:
        limit = timedelta(seconds=settings.session_pending_timeout_seconds)
        return EndReason.PENDING_TIMEOUT if now - user_session.created_at >= limit else None
    idle_seconds = (
        settings.session_public_idle_timeout_seconds
        if user_session.public_computer
        else settings.session_idle_timeout_seconds
    )
    if now - user_session.created_at >= timedelta(
        seconds=settings.session_absolute_timeout_seconds
    ):
        return EndReason.ABSOLUTE_TIMEOUT
    if now - user_session.last_seen_at >= timedelta(seconds=idle_seconds):
        return EndReason.IDLE_TIMEOUT
    return None


def end_session(
    session: DbSession,
    runtime: Runtime,
    user_session: UserSession,
    reason: str,
    *,
    client: ClientInfo | None = None,
) -> None:
    """End one session for good and record why."""
    if user_session.ended_at is not None:
        return
    user_session.ended_at = runtime.clock()
    user_session.end_reason = reason
    record(
        session,
        runtime.clock,
        AuditAction.SESSION_END,
        client=client,
        actor_id=user_session.account_id if reason in _BY_THE_PERSON else None,
        subject_id=user_session.account_id,
        enterprise_id=user_session.account.enterprise_id,
        reason=reason,
        sid=user_session.sid,
    )
    # Every relying party that took part in the session hears of its end.
    publish(session, runtime, SessionsEnded((user_session.id,)))


def end_account_sessions(
    session: DbSession,
    runtime: Runtime,
    account_id: int,
    reason: str,
    *,
    keep_session_id: int | None = None,
) -> int:
    """End every live session of an account (suspension, cancellation, a new password), but
    the one ``keep_session_id`` names; returns how many ended."""
    query = select(UserSession.id).where(
        UserSession.account_id == account_id, UserSession.ended_at.is_(None)
    )
    if keep_session_id is not None:
        query = query.where(UserSession.id != keep_session_id)
    ids = list(session.scalars(query))
    if not ids:
        return 0
    session.execute(
        update(UserSession)
        .where(UserSession.id.in_(ids), UserSession.ended_at.is_(None))
        .values(ended_at=runtime.clock(), end_reason=reason)
    )
    publish(session, runtime, SessionsEnded(tuple(ids)))
    return len(ids)


def end_session_for_relying_party(
    session: DbSession,
    runtime: Runtime,
    user_session: UserSession,
    relying_party: str | None,
    action: AuditAction,
    *,
    client: ClientInfo,
) -> None:
    """A relying party signed the person out (OIDC RP-initiated or SAML single logout)."""
    record(
        session,
        runtime.clock,
        action,
        client=client,
        actor_id=user_session.account_id,
        subject_id=user_session.account_id,
        relying_party=relying_party,
        sid=user_session.sid,
    )
    end_session(session, runtime, user_session, EndReason.RELYING_PARTY_LOGOUT, client=client)
