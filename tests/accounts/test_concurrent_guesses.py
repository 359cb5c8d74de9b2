"""Guess limits hold under simultaneous requests (issue #14), on a live threaded server.

Each test releases a burst of requests together (a barrier) at the provider served over real
HTTP, and counts how many times the secret was actually checked: the password hasher of the
running app is wrapped to count verifications against the account's own hash. Each check takes
as long as argon2id does in production (``HASH_SECONDS``), which is the window in which a
check-then-count throttle let a whole burst through. The limit is the first delay tier of the
user code (``3/minute``): no more wrong guesses than that are ever checked, whatever arrives
at once; a right password gives its place back.

The same races across two gunicorn workers on PostgreSQL and Redis are in
``tests/production/test_races.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

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
from tests.conftest import Person, SmtpCapture
from tests.oidc.live_server import HTTP_TIMEOUT_SECONDS, LiveServer

# The documented first delay tier per user code (IDP_SIGNIN_ACCOUNT_DELAYS, 3/minute).
DELAY_TIER = 3
WRONG = "Pas-le-bon-mot-de-passe"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return behind_one_proxy(app_config)


def sign_in_over_http(base: str, person: Person, smtp: SmtpCapture) -> requests.Session:
    session = browser_from("198.51.100.200")
    token = form_token(session, f"{base}/connexion")
    data = {"user_code": person.user_code, "password": person.password, "csrf_token": token}
    session.post(f"{base}/connexion", data=data, timeout=HTTP_TIMEOUT_SECONDS)
    token = form_token(session, f"{base}/connexion/code")
    code = {"code": smtp.last_code(person.email), "csrf_token": token}
    done = session.post(f"{base}/connexion/code", data=code, timeout=HTTP_TIMEOUT_SECONDS)
    assert done.status_code == 200, done.text[:300]
    return session


def test_a_burst_of_passwords_from_many_addresses_checks_no_more_than_the_limit(
    live_server: LiveServer, person: Person, checks: CheckCounter
) -> None:
    """Twenty password posts for one user code from twenty addresses, released together,
    the right password among them: at most three wrong ones are checked, the rest are told to
    wait without any check, and none succeeds once the limit is reached."""
    checks.watched.add(person.account.password_hash)
    base = f"{live_server.url}/connexion"
    browsers = [browser_from(f"203.0.113.{i}") for i in range(20)]
    tokens = [form_token(b, base) for b in browsers]
    passwords = [WRONG] * 19 + [person.password]

    def post(index: int) -> requests.Response:
        data = {"user_code": person.user_code, "password": passwords[index]}
        data["csrf_token"] = tokens[index]
        return browsers[index].post(
            base, data=data, allow_redirects=False, timeout=HTTP_TIMEOUT_SECONDS
        )

    replies = fire_together([lambda i=i: post(i) for i in range(20)])

    assert checks.wrong <= DELAY_TIER, checks.results
    assert checks.right <= 1
    throttled = audit_events("accounts:signin:throttle")
    assert throttled == 20 - len(checks.results), (throttled, checks.results)
    assert audit_events("accounts:signin:password", "failure") == checks.wrong
    signed_in = [r for r in replies if r.status_code == 302]
    assert len(signed_in) == checks.right


def test_simultaneous_wrong_current_passwords_are_throttled_like_sign_in(
    live_server: LiveServer, person: Person, checks: CheckCounter, smtp: SmtpCapture
) -> None:
    """A session left open is not a way to try passwords: fifteen change-password posts at
    once with wrong current passwords check at most three, then the person must wait."""
    session = sign_in_over_http(live_server.url, person, smtp)
    checks.watched.add(person.account.password_hash)
    url = f"{live_server.url}/mot-de-passe"
    token = form_token(session, url)
    form = {
        "current_password": WRONG,
        "new_password": "Une-toute-nouvelle-phrase-2026",
        "confirm_password": "Une-toute-nouvelle-phrase-2026",
        "csrf_token": token,
    }

    def post() -> requests.Response:
        return session.post(url, data=form, allow_redirects=False, timeout=HTTP_TIMEOUT_SECONDS)

    replies = fire_together([post for _ in range(15)])

    assert all(r.status_code == 200 for r in replies)
    assert checks.wrong <= DELAY_TIER, checks.results
    assert audit_events("accounts:signin:throttle") == 15 - checks.wrong
    # Even the right current password now waits: the throttle is the user code's.
    right = {**form, "current_password": person.password}
    page = session.post(url, data=right, allow_redirects=False, timeout=HTTP_TIMEOUT_SECONDS)
    assert page.status_code == 200
    assert "Vous pourrez réessayer après" in page.text or "verrouillée" in page.text
    assert checks.right == 0
