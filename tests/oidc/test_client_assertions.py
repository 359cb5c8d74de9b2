"""What a ``private_key_jwt`` client assertion may say about time and itself (RFC 7523 3).

Libraries sign assertions with their own lifetimes (authlib an hour, pyoidc ten minutes, FAPI 2.0
allows up to sixty); the provider accepts up to ``IDP_OIDC_CLIENT_ASSERTION_MAX_LIFETIME_SECONDS``,
keeps each ``jti`` until its assertion expires, and refuses anything else with
``invalid_client`` and a description saying which rule was broken.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from idp.extensions import db
from idp.lifecycle import run_lifecycle
from idp.oidc.models import UsedClientAssertion
from idp.oidc.server import CLOCK_LEEWAY_SECONDS, MAX_JTI_LENGTH
from tests.oidc.test_client_authentication import (
    assert_tokens,
    assertion_claims,
    authorize,
    code_form,
    post_token,
    signed_assertion,
    with_assertion,
)

DEFAULT_CAP_SECONDS = 3600
DAY_SECONDS = 86400


@pytest.fixture
def jwt_code(browser, operator_person) -> tuple[Any, str]:
    """A code issued to iqea-jwt."""
    return authorize(browser, operator_person, "iqea-jwt")


def now_of(clock: Any) -> int:
    return int(clock().timestamp())


def redeem(client: Any, jwt_code: tuple[Any, str], claims: dict[str, Any]) -> Any:
    request, code = jwt_code
    return post_token(client, with_assertion(code_form(request, code), signed_assertion(claims)))


def assert_refused(response: Any, description: str) -> None:
    """``invalid_client`` (RFC 6749 5.2) with exactly this description, and no token."""
    assert response.status_code in (400, 401), response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "invalid_client", body
    assert body["error_description"] == description
    assert "access_token" not in body


# -- lifetimes that are accepted ----------------------------------------------------------------


@pytest.mark.parametrize(
    "lifetime", [60, 600, DEFAULT_CAP_SECONDS], ids=["one minute", "pyoidc", "authlib, FAPI 2.0"]
)
def test_an_assertion_up_to_the_cap_is_accepted(client, jwt_code, clock, lifetime):
    now = now_of(clock)
    assert_tokens(redeem(client, jwt_code, assertion_claims(clock, iat=now, exp=now + lifetime)))


def test_an_assertion_without_iat_is_accepted_within_the_cap(client, jwt_code, clock):
    """``iat`` is optional (RFC 7523 3): the life left, ``exp`` minus now, is what counts."""
    claims = assertion_claims(clock, iat=None, exp=now_of(clock) + DEFAULT_CAP_SECONDS)
    assert_tokens(redeem(client, jwt_code, claims))


def test_iat_ahead_within_the_clock_leeway_is_accepted(client, jwt_code, clock):
    now = now_of(clock)
    claims = assertion_claims(clock, iat=now + CLOCK_LEEWAY_SECONDS, exp=now + 60)
    assert_tokens(redeem(client, jwt_code, claims))


def test_a_jti_of_the_longest_length_is_accepted(client, jwt_code, clock):
    claims = assertion_claims(clock, jti="j" * MAX_JTI_LENGTH)
    assert_tokens(redeem(client, jwt_code, claims))


# -- what is refused, and why -------------------------------------------------------------------

LIVES_TOO_LONG = (
    f"The client assertion lives longer than {DEFAULT_CAP_SECONDS} seconds ('exp' - 'iat')."
)
REFUSED = {
    "no exp": (
        lambda now: {"exp": None},
        "The client assertion needs an 'exp'.",
    ),
    "exp not a number": (
        lambda now: {"exp": str(now + 60)},
        "The client assertion's 'exp' is not a number.",
    ),
    "exp a boolean": (
        lambda now: {"exp": True},
        "The client assertion's 'exp' is not a number.",
    ),
    "exp NaN": (
        lambda now: {"exp": float("nan")},
        "The client assertion's 'exp' is not a number.",
    ),
    "exp infinite": (
        lambda now: {"exp": float("inf")},
        "The client assertion's 'exp' is not a number.",
    ),
    "exp past the year 9999": (
        lambda now: {"exp": 10**30},
        "The client assertion's 'exp' is not a number.",
    ),
    "iat not a number": (
        lambda now: {"iat": "now"},
        "The client assertion's 'iat' is not a number.",
    ),
    "over the cap": (
        lambda now: {"iat": now, "exp": now + DEFAULT_CAP_SECONDS + 1},
        LIVES_TOO_LONG,
    ),
    "over the cap, iat backdated": (
        lambda now: {"iat": now - DEFAULT_CAP_SECONDS, "exp": now + 60},
        LIVES_TOO_LONG,
    ),
    "over the cap without iat": (
        lambda now: {"iat": None, "exp": now + DEFAULT_CAP_SECONDS + 1},
        f"The client assertion without 'iat' expires more than {DEFAULT_CAP_SECONDS} seconds "
        "from now.",
    ),
    "iat ahead beyond the leeway": (
        lambda now: {"iat": now + CLOCK_LEEWAY_SECONDS + 1, "exp": now + 90},
        "The client assertion is issued in the future.",
    ),
    "nbf ahead beyond the leeway": (
        lambda now: {"nbf": now + CLOCK_LEEWAY_SECONDS + 1},
        "The client assertion is not valid yet ('nbf').",
    ),
    "expired beyond the leeway": (
        lambda now: {"iat": now - 120, "exp": now - CLOCK_LEEWAY_SECONDS},
        "The client assertion has expired.",
    ),
    "jti too long": (
        lambda now: {"jti": "j" * (MAX_JTI_LENGTH + 1)},
        f"The client assertion's 'jti' is longer than {MAX_JTI_LENGTH} characters.",
    ),
    "jti not a string": (
        lambda now: {"jti": 12345},
        "The client assertion needs a 'jti'.",
    ),
}


@pytest.mark.parametrize(("changes", "description"), REFUSED.values(), ids=REFUSED.keys())
def test_an_assertion_breaking_a_rule_is_refused(client, jwt_code, clock, changes, description):
    claims = assertion_claims(clock, **changes(now_of(clock)))
    assert_refused(redeem(client, jwt_code, claims), description)
    # The code is still there for the real client: nothing was issued from it.
    assert_tokens(redeem(client, jwt_code, assertion_claims(clock)))


def test_a_refused_jti_is_not_stored(client, jwt_code, clock):
    claims = assertion_claims(clock, jti="j" * (MAX_JTI_LENGTH + 1))
    redeem(client, jwt_code, claims)
    assert db.session.scalars(select(UsedClientAssertion)).all() == []


# -- each jti is kept as long as its assertion lives --------------------------------------------


def test_the_jti_is_kept_until_the_assertion_expires(client, jwt_code, clock):
    exp = now_of(clock) + DEFAULT_CAP_SECONDS
    assert_tokens(redeem(client, jwt_code, assertion_claims(clock, exp=exp)))
    used = db.session.scalars(select(UsedClientAssertion)).one()
    # Past exp (and the leeway) a replay is refused as expired; until then, as used.
    assert used.expires_at == datetime.fromtimestamp(exp + CLOCK_LEEWAY_SECONDS, UTC)


class TestAnotherCap:
    """The cap is a setting; a deployment may lower it, or raise it beyond a day."""

    CAP_SECONDS = 2 * DAY_SECONDS

    @pytest.fixture
    def app_config(self, app_config):
        app_config["oidc_client_assertion_max_lifetime_seconds"] = self.CAP_SECONDS
        return app_config

    def test_the_configured_cap_is_the_one_applied(self, client, jwt_code, clock):
        now = now_of(clock)
        claims = assertion_claims(clock, iat=now, exp=now + self.CAP_SECONDS + 1)
        assert_refused(
            redeem(client, jwt_code, claims),
            f"The client assertion lives longer than {self.CAP_SECONDS} seconds ('exp' - 'iat').",
        )

    def test_a_replay_is_refused_while_the_assertion_lives_even_after_the_cleanup(
        self, client, jwt_code, clock, runtime
    ):
        """``idp lifecycle run`` deletes used jtis a day past their expiry, not before."""
        request, code = jwt_code
        now = now_of(clock)
        assertion = signed_assertion(assertion_claims(clock, iat=now, exp=now + self.CAP_SECONDS))
        first = assert_tokens(
            post_token(client, with_assertion(code_form(request, code), assertion))
        )
        clock.advance(seconds=DAY_SECONDS + 600)
        run_lifecycle(db.session, runtime)
        db.session.commit()

        again = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        replayed = post_token(client, with_assertion(again, assertion))
        assert_refused(replayed, "The client assertion has been used before.")
