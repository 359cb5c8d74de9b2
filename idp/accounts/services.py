"""Account services: creation, the password step of sign-in, password changes, unlock."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from idp.accounts.attempts import Window
from idp.accounts.models import Account, AccountRole, AccountStatus, Portal, UserSession
from idp.accounts.password_policy import check_password
from idp.accounts.sessions import EndReason, end_account_sessions, start_pending_session
from idp.accounts.throttle import FailureOutcome, Reservation
from idp.accounts.user_codes import generate_user_code, normalize_user_code
from idp.audit.services import ClientInfo, record, record_own
from idp.audit.tags import AuditAction, Outcome
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.errors import AuthenticationFailedError, ThrottledError, ValidationError
from idp.events import CredentialsChanged, publish
from idp.runtime import Runtime

# Temporary passwords are read from a printed acknowledgement and typed once: 4 groups of
# 4 characters from an alphabet without look-alikes, about 80 bits.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True, slots=True)
class NewAccount:
    """A created account and its temporary password, shown once and never stored in clear."""

    account: Account
    temporary_password: str


def generate_temporary_password() -> str:
    groups = ("".join(secrets.choice(_TEMP_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def normalize_email(raw: str) -> str:
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(_l("Enter a valid email address, such as name@example.com.")) from exc


def create_account(
    session: DbSession,
    runtime: Runtime,
    *,
    enterprise: Enterprise | None,
    display_name: str,
    email: str,
    role: AccountRole,
    actor_id: int | None = None,
    client: ClientInfo | None = None,
    ministry_key: str | None = None,
) -> NewAccount:
    """Create an account with a fresh user code and a temporary password to change at sign-in.

    An account belongs to an enterprise, or, for a ministry operator, to a ministry; a provider
    operator belongs to neither.
    """
    if role == AccountRole.CITIZEN:
        # Citizens make their own account, after an identity check (idp.citizens.enrolment).
        raise ValidationError(_l("A citizen account is created by the citizen."))
    if role == AccountRole.PROVIDER_OPERATOR:
        # Staff of the provider itself: no enterprise, no ministry.
        enterprise, ministry_key = None, None
    elif (role == AccountRole.MINISTRY_OPERATOR) != (enterprise is None):
        raise ValidationError(
            _l("A ministry operator belongs to a ministry, anyone else to an enterprise.")
        )
    elif enterprise is None and runtime.catalogue.ministry(ministry_key or "") is None:
        raise ValidationError(_l("This ministry does not exist."))
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationError(_l("Enter the person's name."))
    email = normalize_email(email)
    user_code = unused_user_code(session)
    temporary_password = generate_temporary_password()
    account = Account(
        user_code=user_code,
        display_name=display_name,
        email=email,
        password_hash=runtime.hashing.hash(temporary_password),
        status=AccountStatus.ACTIVE,
        must_change_password=True,
        created_at=runtime.clock(),
        enterprise_id=enterprise.id if enterprise else None,
        enterprise=enterprise,
        ministry_key=None if enterprise else ministry_key,
        role=role,
    )
    session.add(account)
    session.flush()
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_CREATE,
        client=client,
        actor_id=actor_id,
        subject_id=account.id,
        enterprise_id=account.enterprise_id,
        role=str(role),
        ministry=account.ministry_key,
    )
    return NewAccount(account, temporary_password)


def unused_user_code(session: DbSession, *, citizen: bool = False) -> str:
    while True:
        code = generate_user_code(citizen=citizen)
        if find_by_user_code(session, code) is None:
            return code


def find_by_user_code(session: DbSession, user_code: str) -> Account | None:
    return session.scalars(
        select(Account).where(Account.user_code == normalize_user_code(user_code))
    ).one_or_none()


def sign_in_with_password(
    session: DbSession,
    runtime: Runtime,
    *,
    user_code: str,
    password: str,
    public_computer: bool,
    client: ClientInfo,
    portal: Portal = Portal.ENTERPRISE,
) -> tuple[UserSession, str]:
    """Step 1 of sign-in. Returns a pending session and its cookie token.

    Raises :class:`ThrottledError` before any verification when the user code or the IP must
    wait, and :class:`AuthenticationFailedError` for every other refusal, after the same argon2
    work whether the account exists, is active, or not. An account of the other ``portal`` is
    an unknown user code here: citizens sign in at clicSÉQUR – Citoyens only, and back.
    """
    code = normalize_user_code(user_code)
    account = find_by_user_code(session, code)
    if account is not None and account.portal != portal:
        account = None
    _release_expired_lock(session, runtime, account, client)
    reservation = reserve_guess(session, runtime, code, client, account)

    password_ok = runtime.hashing.verify(account.password_hash if account else None, password)
    if account is None or not password_ok or not account.is_active:
        if account is None:
            reason = "unknown_user_code"
        elif not password_ok:
            reason = "wrong_password"
        else:
            reason = f"account_{account.status}"
        record(
            session,
            runtime.clock,
            AuditAction.SIGNIN_PASSWORD,
            Outcome.FAILURE,
            client=client,
            subject_id=account.id if account else None,
            enterprise_id=account.enterprise_id if account else None,
            reason=reason,
        )
        outcome = count_failed_guess(session, runtime, reservation, account, client)
        state = outcome.state
        raise AuthenticationFailedError(
            remaining=outcome.remaining, retry_at=state.retry_at, locked=state.locked
        )
    runtime.throttle.give_back(reservation)

    if runtime.hashing.needs_rehash(account.password_hash):
        account.password_hash = runtime.hashing.hash(password)
        record(session, runtime.clock, AuditAction.ACCOUNT_PASSWORD_REHASH, subject_id=account.id)
    record_own(session, runtime.clock, AuditAction.SIGNIN_PASSWORD, account, client=client)
    return start_pending_session(
        session, runtime, account, public_computer=public_computer, client=client
    )


def reserve_guess(
    session: DbSession,
    runtime: Runtime,
    user_code: str,
    client: ClientInfo,
    account: Account | None,
    *,
    extra: Sequence[Window] = (),
) -> Reservation:
    """A place for one guess of a secret of ``user_code`` (a password, a security answer), or
    :class:`ThrottledError` (audited) before anything is checked."""
    reservation = runtime.throttle.reserve(user_code, client.ip or "unknown", extra=extra)
    if reservation.allowed:
        return reservation
    state = reservation.blocked
    record(
        session,
        runtime.clock,
        AuditAction.SIGNIN_THROTTLED,
        Outcome.DENIED,
        client=client,
        subject_id=account.id if account else None,
        locked=state.locked,
    )
    raise ThrottledError(retry_at=state.retry_at or runtime.clock(), locked=state.locked)


def count_failed_guess(
    session: DbSession,
    runtime: Runtime,
    reservation: Reservation,
    account: Account | None,
    client: ClientInfo,
) -> FailureOutcome:
    """The guess was wrong: it stays counted; a lock it sets is recorded on the account."""
    outcome = runtime.throttle.count_failure(reservation)
    subject_id = account.id if account else None
    enterprise_id = account.enterprise_id if account else None
    if outcome.account_locked:
        if account is not None:
            account.locked_until = outcome.state.retry_at
        record(
            session,
            runtime.clock,
            AuditAction.ACCOUNT_LOCK,
            Outcome.DENIED,
            client=client,
            subject_id=subject_id,
            enterprise_id=enterprise_id,
            until=outcome.state.retry_at.isoformat() if outcome.state.retry_at else None,
        )
    if outcome.ip_locked:
        record(session, runtime.clock, AuditAction.CLIENT_IP_LOCK, Outcome.DENIED, client=client)
    return outcome


def check_password_guess(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    password: str,
    *,
    client: ClientInfo,
    wrong: Any,
    field: str,
) -> None:
    """The account's password asked again by a form of a signed-in person (to change it, to
    close the account): a guess under the same throttle as sign-in. A wrong one raises
    :class:`ValidationError` (``wrong`` on ``field``) with the attempts left; a wait raises
    :class:`ThrottledError` before anything is checked."""
    reservation = reserve_guess(session, runtime, account.user_code, client, account)
    if not runtime.hashing.verify(account.password_hash, password):
        outcome = count_failed_guess(session, runtime, reservation, account, client)
        raise ValidationError(
            wrong,
            field=field,
            remaining=outcome.remaining,
            retry_at=outcome.state.retry_at,
            locked=outcome.state.locked,
        )
    runtime.throttle.give_back(reservation)


def _release_expired_lock(
    session: DbSession, runtime: Runtime, account: Account | None, client: ClientInfo
) -> None:
    """Audit the end of a lock that ran its course (the counters expired on their own)."""
    if account is None or account.locked_until is None:
        return
    if runtime.throttle.is_locked(account.user_code):
        return
    account.locked_until = None
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_UNLOCK,
        client=client,
        subject_id=account.id,
        enterprise_id=account.enterprise_id,
        reason="expired",
    )


def unlock_account(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    *,
    actor_id: int | None = None,
    client: ClientInfo | None = None,
    reason: str = "administrator",
    only_if_locked: bool = False,
) -> None:
    """Lift a sign-in lock now and forget the failures; audited with who did it and why.

    ``only_if_locked``: forget the failures in any case, but record an unlock only if there
    was a lock (an ESM's password reset lifts waits as a matter of course).
    """
    was_locked = runtime.throttle.is_locked(account.user_code) or account.locked_until is not None
    runtime.throttle.unlock(account.user_code)
    account.locked_until = None
    if only_if_locked and not was_locked:
        return
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_UNLOCK,
        client=client,
        actor_id=actor_id,
        subject_id=account.id,
        enterprise_id=account.enterprise_id,
        reason=reason,
    )


def check_new_password(runtime: Runtime, account: Account, new_password: str) -> None:
    """The rules of a new password of ``account`` (length, not common, not the person's name
    or user code, not the current one): :class:`ValidationError` on ``new_password``. Both the
    change-password form and a forgotten password's reset apply them."""
    settings = runtime.settings
    try:
        check_password(
            new_password,
            min_length=settings.password_min_length,
            max_length=settings.password_max_length,
            context=[account.user_code, account.email.split("@")[0], *account.display_name.split()],
        )
    except ValidationError as exc:
        exc.details["field"] = "new_password"
        raise
    if runtime.hashing.verify(account.password_hash, new_password):
        raise ValidationError(
            _l("The new password must differ from the current one."), field="new_password"
        )


def change_password(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    *,
    new_password: str,
    current_password: str | None = None,
    client: ClientInfo | None = None,
    keep_session_id: int | None = None,
) -> int:
    """Set a new password after the policy checks; the current one is asked unless forced.

    The current password is a guess like any other: it goes through the sign-in throttle of
    the account (delays, then the lock), so a session left open is not a way to try passwords.
    Every other session of the person ends, with their grants (back-channel logout to the
    sites); the one ``keep_session_id`` names stays. Returns how many sessions ended.
    """
    client = client or ClientInfo()
    if not account.must_change_password:
        check_password_guess(
            session,
            runtime,
            account,
            current_password or "",
            client=client,
            wrong=_l("The current password is not right."),
            field="current_password",
        )
    check_new_password(runtime, account, new_password)
    account.password_hash = runtime.hashing.hash(new_password)
    account.must_change_password = False
    ended = end_account_sessions(
        session, runtime, account.id, EndReason.PASSWORD_CHANGED, keep_session_id=keep_session_id
    )
    publish(session, runtime, CredentialsChanged(account.id, "password", "update"))
    record_own(
        session,
        runtime.clock,
        AuditAction.PASSWORD_CHANGE,
        account,
        client=client,
        sessions_ended=ended,
    )
    return ended
