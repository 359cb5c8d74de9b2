"""The citizen's alternative to the emailed code: one of their four security questions.

Which question is asked is fixed for a pending sign-in (an HMAC of its public ``sid``), so
reloading the page never offers an easier one; a new sign-in, after the password again, may ask
another. Wrong answers count as sign-in failures of the user code (the same delays and lock as a
wrong password) and, past ``citizen_security_question_attempts``, end the pending sign-in;
both limits hold under simultaneous answers (each answer reserves its place before it is
checked).
"""

from __future__ import annotations

import hmac
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from idp.accounts.attempts import Window
from idp.accounts.models import UserSession
from idp.accounts.sessions import (
    AMR_PASSWORD_AND_QUESTION,
    EndReason,
    authenticate_session,
    end_session,
)
from idp.audit.services import ClientInfo
from idp.citizens.answers import check_answer
from idp.citizens.catalogue import QUESTIONS_PER_ACCOUNT
from idp.citizens.models import SecurityAnswer
from idp.db_types import DbSession
from idp.errors import CodeError
from idp.runtime import Runtime

_ATTEMPTS_NAMESPACE = "idp-security-question"
# Browser-session key: the service asked for the emailed code (acr urn:clicsequr:acr:mfa), so
# the security question is not offered during this sign-in.
CODE_ONLY_SESSION_KEY = "citizen_code_only"


def question_position(runtime: Runtime, user_session: UserSession) -> int:
    digest = hmac.new(runtime.code_key, f"question:{user_session.sid}".encode(), "sha256")
    return digest.digest()[0] % QUESTIONS_PER_ACCOUNT


def asked_question(
    session: DbSession, runtime: Runtime, user_session: UserSession
) -> SecurityAnswer:
    answer = session.scalars(
        select(SecurityAnswer).where(
            SecurityAnswer.account_id == user_session.account_id,
            SecurityAnswer.position == question_position(runtime, user_session),
        )
    ).one()
    return answer


def answer_question(
    session: DbSession,
    runtime: Runtime,
    user_session: UserSession,
    answer: str,
    *,
    client: ClientInfo,
) -> str:
    """Complete the sign-in if the answer is right (returns the new cookie token).

    Each answer first reserves its place in the windows of the pending sign-in and of the user
    code (:func:`idp.citizens.answers.check_answer`), so no more answers are checked than both
    allow, however many arrive at once; a right answer gives its place back.
    """
    asked = asked_question(session, runtime, user_session)
    account = user_session.account
    this_sign_in = Window(
        f"{_ATTEMPTS_NAMESPACE}/{user_session.sid}",
        runtime.settings.citizen_security_question_attempts,
        runtime.settings.session_pending_timeout_seconds,
    )
    check_answer(
        session,
        runtime,
        account,
        asked,
        answer,
        window=this_sign_in,
        client=client,
        give_up=lambda: _give_up(session, runtime, user_session, client),
    )
    runtime.throttle.record_success(account.user_code)
    return authenticate_session(session, runtime, user_session, amr=AMR_PASSWORD_AND_QUESTION)


def _give_up(
    session: DbSession, runtime: Runtime, user_session: UserSession, client: ClientInfo
) -> NoReturn:
    end_session(session, runtime, user_session, EndReason.SECURITY_QUESTION_FAILED, client=client)
    raise CodeError(_l("Too many wrong answers. Sign in again to continue."), reason="voided")
