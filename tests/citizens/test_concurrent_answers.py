"""Security answers sent at once in one pending sign-in are checked no more than the limit
(issue #14), on a live threaded server: each answer reserves its place before it is checked.

The same race across two gunicorn workers on PostgreSQL and Redis is in
``tests/production/test_races.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select

from idp.accounts.models import Account, UserSession
from idp.citizens.models import SecurityAnswer
from idp.extensions import db
from tests.concurrency import (
    CheckCounter,
    audit_events,
    behind_one_proxy,
    browser_from,
    fire_together,
    form_token,
)
from tests.concurrency import checks as checks  # the fixtures
from tests.concurrency import live_server as live_server
from tests.conftest import TEST_PASSWORD
from tests.oidc.live_server import HTTP_TIMEOUT_SECONDS, LiveServer

ANSWERS_PER_SIGN_IN = 3  # IDP_CITIZEN_SECURITY_QUESTION_ATTEMPTS
BURST = 16


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return behind_one_proxy(app_config)


def _at_the_question(base: str, citizen: Account) -> tuple[requests.Session, str]:
    """A browser past the password step, on the question page; its form's CSRF token."""
    session = browser_from("198.51.100.7")
    token = form_token(session, f"{base}/citoyens/connexion")
    session.post(
        f"{base}/citoyens/connexion",
        data={"user_code": citizen.user_code, "csrf_token": token},
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    token = form_token(session, f"{base}/citoyens/connexion/mot-de-passe")
    session.post(
        f"{base}/citoyens/connexion/mot-de-passe",
        data={"password": TEST_PASSWORD, "csrf_token": token},
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    return session, form_token(session, f"{base}/citoyens/connexion/question")


def test_simultaneous_answers_are_checked_no_more_than_the_limit(
    live_server: LiveServer, citizen: Account, checks: CheckCounter
) -> None:
    session, token = _at_the_question(live_server.url, citizen)
    checks.watched.update(
        db.session.scalars(
            select(SecurityAnswer.answer_hash).where(SecurityAnswer.account_id == citizen.id)
        )
    )
    url = f"{live_server.url}/citoyens/connexion/question"
    form = {"answer": "Pas la bonne réponse", "csrf_token": token}

    def answer() -> requests.Response:
        return session.post(url, data=form, allow_redirects=False, timeout=HTTP_TIMEOUT_SECONDS)

    fire_together([answer for _ in range(BURST)])

    assert 0 < checks.wrong <= ANSWERS_PER_SIGN_IN, checks.results
    failures = audit_events("citizens:signin:question", "failure")
    assert failures == checks.wrong
    # The pending sign-in is over: the person starts again from the user code.
    db.session.expire_all()
    pending = db.session.scalars(
        select(UserSession).where(UserSession.account_id == citizen.id)
    ).one()
    assert pending.ended_at is not None
    assert pending.end_reason == "security_question_failed"
