"""One guess of a citizen's security answer, wherever one is asked: the sign-in without the
emailed code (``idp/citizens/signin.py``) and a password reset link
(``idp/accounts/recovery.py``).

Each answer first reserves its place in the account's sign-in throttle (the same delays and
lock as a wrong password) and in the caller's own window (the pending sign-in, the link), so no
more answers are checked than both allow, however many arrive at once; a right answer gives its
place back. Every answer is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from flask_babel import lazy_ngettext

from idp.accounts import attempts
from idp.accounts.attempts import Window
from idp.accounts.models import Account
from idp.accounts.services import count_failed_guess, reserve_guess
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction, Outcome
from idp.citizens.catalogue import normalize_answer
from idp.citizens.models import SecurityAnswer
from idp.db_types import DbSession
from idp.errors import CodeError, ThrottledError
from idp.runtime import Runtime


def check_answer(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    asked: SecurityAnswer,
    answer: str,
    *,
    window: Window,
    client: ClientInfo,
    give_up: Callable[[], NoReturn],
    error_details: dict[str, Any] | None = None,
    **audit: Any,
) -> None:
    """Return when ``answer`` is right. A wrong answer raises :class:`CodeError` saying how many
    are left (with ``error_details``); when none are left, ``give_up()`` (which raises) ends
    what ``window`` counted. ``audit`` is added to both audit events."""
    try:
        reservation = reserve_guess(
            session, runtime, account.user_code, client, account, extra=[window]
        )
    except ThrottledError:
        if answers_left(runtime, window) > 0:
            raise
        give_up()
    if runtime.hashing.verify(asked.answer_hash, normalize_answer(answer)):
        runtime.throttle.give_back(reservation)
        record(
            session,
            runtime.clock,
            AuditAction.CITIZEN_SECURITY_QUESTION,
            client=client,
            actor_id=account.id,
            subject_id=account.id,
            question=asked.question_key,
            **audit,
        )
        return
    remaining = answers_left(runtime, window)
    record(
        session,
        runtime.clock,
        AuditAction.CITIZEN_SECURITY_QUESTION,
        Outcome.FAILURE,
        client=client,
        subject_id=account.id,
        reason="wrong_answer",
        remaining=remaining,
        **audit,
    )
    count_failed_guess(session, runtime, reservation, account, client)
    if remaining <= 0:
        give_up()
    raise CodeError(
        lazy_ngettext(
            "The answer is not right. %(num)d attempt left.",
            "The answer is not right. %(num)d attempts left.",
            remaining,
        ),
        reason="mismatch",
        **(error_details or {}),
    )


def answers_left(runtime: Runtime, window: Window) -> int:
    (used,) = runtime.throttle.ledger.counts([window], attempts.now())
    return max(window.limit - used, 0)
