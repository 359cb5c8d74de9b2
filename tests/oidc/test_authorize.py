"""The authorization endpoint ``/oidc/authorize``, as a browser and a relying party see it.

Sections, in the order a request meets them:

1. requests answered with a page (unknown client, redirect URI not registered: never redirected);
2. errors sent back to the relying party (response type, PKCE, request objects, parameters);
3. sign-in: sent to the password page and back, ``login_hint``, ``ui_locales``;
4. ``prompt=none``;
5. a fresh sign-in: ``prompt=login``, ``max_age`` and ``auth_time``;
6. consent per ministry;
7. the enterprise the person acts for;
8. a person without any right the site needs;
9. the rights claims (ESM, internal proxy, external proxy, one ministry only);
10. pairwise subjects;
11. POSTed requests and the CSRF token of the pages;
12. nonce replay.

People come from the ``world`` fixture (tests/proxies/conftest.py); everyone's password is
``TEST_PASSWORD``.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.consents.models import Consent
from idp.consents.services import grant_consent
from idp.extensions import db
from idp.federation.models import EnterpriseChoice
from idp.oidc.models import AuthorizationCode
from tests.conftest import TEST_PASSWORD, Person, csrf_token
from tests.oidc.conftest import (
    AMF_CALLBACK,
    AMF_SCOPES,
    IQEA_CALLBACK,
    IQEA_SCOPES,
    SPA_CALLBACK,
    AuthorizationRequest,
    exchange,
    redirect_params,
)

ISSUER = "http://localhost"
OPERATOR = "melccfp.iqea.operator"
VERIFIER = "melccfp.iqea.verifier"
ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256"]


# -- helpers ----------------------------------------------------------------------------------


def as_person(account: Account) -> Person:
    return Person(account, TEST_PASSWORD)


def page_text(response: Any) -> str:
    """The page with its HTML entities decoded (apostrophes come escaped)."""
    return html.unescape(response.get_data(as_text=True))


def authorize_url(**params: str) -> str:
    return "/oidc/authorize?" + urlencode(params)


def valid_params(**overrides: str | None) -> dict[str, str]:
    """A complete, valid authorization request of ``iqea`` as a dict (None removes a key)."""
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "iqea",
        "redirect_uri": IQEA_CALLBACK,
        "scope": "openid profile",
        "state": "state-123",
        "nonce": "nonce-123",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **overrides,
    }
    return {k: v for k, v in params.items() if v is not None}


def callback_params(response: Any, redirect_uri: str = IQEA_CALLBACK) -> dict[str, str]:
    """The parameters of a redirect to the relying party (asserting that it is one)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(redirect_uri + "?"), location
    return redirect_params(location)


def assert_redirected_error(response: Any, error: str, state: str, redirect_uri: str) -> None:
    params = callback_params(response, redirect_uri)
    assert params["error"] == error, params
    assert params["state"] == state
    assert params["iss"] == ISSUER
    assert "code" not in params


def sign_in_location(response: Any) -> str:
    """The sign-in page a response sends to (asserting that it does)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert urlsplit(location).path == "/connexion", location
    return location


def sign_in_at(auth: Any, login_location: str, person: Person) -> str:
    """Sign in on the page a relying party's request led to; where the code step sends back."""
    parts = urlsplit(login_location)
    auth.form_post(
        f"{parts.path}?{parts.query}",
        {"user_code": person.user_code, "password": person.password},
    )
    done = auth.code_step(auth.smtp.last_code(person.email))
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    return done.headers["Location"]


def form_action(response: Any) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', response.get_data(as_text=True))
    assert match, "no form in the page"
    return html.unescape(match.group(1))


def press(client: Any, page: Any, **fields: str) -> Any:
    """Press a button of an authorize page (its form, its CSRF token)."""
    token = csrf_token(page.get_data(as_text=True))
    return client.post(form_action(page), data={**fields, "csrf_token": token})


def is_choice_page(response: Any) -> bool:
    return response.status_code == 200 and 'name="enterprise"' in response.get_data(as_text=True)


def is_consent_page(response: Any) -> bool:
    return response.status_code == 200 and 'value="allow"' in response.get_data(as_text=True)


def redeem(client: Any, request: AuthorizationRequest, code: str, secrets: Any) -> dict[str, Any]:
    """The token response for a code (``iqea-post`` authenticates in the body)."""
    if request.client_id == "iqea-post":
        response = client.post(
            "/oidc/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": request.redirect_uri,
                "code_verifier": request.verifier,
                "client_id": "iqea-post",
                "client_secret": secrets["iqea-post"],
            },
        )
    else:
        response = exchange(client, request, code, secrets[request.client_id])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def decode(client: Any, token: str) -> Any:
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    return jwt.decode(token, keys, algorithms=ID_TOKEN_ALGORITHMS)


def id_token_of(client: Any, tokens: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims; every ID token says when the person signed in."""
    claims = dict(decode(client, tokens["id_token"]).claims)
    assert isinstance(claims.get("auth_time"), int), claims
    return claims


def sign_in_and_consent(
    browser: Any,
    client: Any,
    person: Person,
    secrets: Any,
    *,
    enterprise_id: int | None = None,
    **request_args: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A whole visit (sign-in, choice, consent); the token response and the ID token claims."""
    request = browser.request(**request_args)
    params = browser.authorize(person, request, enterprise_id=enterprise_id)
    assert params["state"] == request.state
    tokens = redeem(client, request, params["code"], secrets)
    return tokens, id_token_of(client, tokens)


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def timestamp_of(clock: Any) -> int:
    return int(clock.now.timestamp())


@pytest.fixture
def outbound():
    """Every HTTP request the provider sends out (none is expected from the authorize pages)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def consultant(world: Any, second_client: Any) -> Person:
    """Karim Haddad of the firm, verifier for the emitter and for the second client."""
    return as_person(world.consultant)


@pytest.fixture
def consultant_agreed(runtime: Any, consultant: Person) -> Person:
    """The consultant, having agreed beforehand to share what IQEA asks (no consent page)."""
    grant_consent(db.session, runtime, consultant.account.id, "melccfp", IQEA_SCOPES)
    db.session.commit()
    return consultant


# -- 1. answered with a page, never redirected ------------------------------------------------

UNREGISTERED_REDIRECTS = {
    "prefix": IQEA_CALLBACK + "/extra",
    "host-suffix": "https://iqea.example.gouv.qc.ca.evil.com/auth/callback",
    "other-path": "https://iqea.example.gouv.qc.ca/auth/other",
    "port-443": "https://iqea.example.gouv.qc.ca:443/auth/callback",
    "port-8443": "https://iqea.example.gouv.qc.ca:8443/auth/callback",
    "upper-host": "https://IQEA.EXAMPLE.GOUV.QC.CA/auth/callback",
    "upper-path": "https://iqea.example.gouv.qc.ca/AUTH/CALLBACK",
    "trailing-slash": IQEA_CALLBACK + "/",
    "query": IQEA_CALLBACK + "?x=1",
    "fragment": IQEA_CALLBACK + "#x",
    "http": "http://iqea.example.gouv.qc.ca/auth/callback",
    "url-encoded": "https://iqea.example.gouv.qc.ca/auth%2Fcallback",
    "encoded-letter": "https://iqea.example.gouv.qc.ca/auth/c%61llback",
    "other-site": "https://evil.example.com/auth/callback",
}


def assert_error_page(response: Any, error: str, *not_linked: str) -> None:
    """The provider's own error page: 400, no Location, no link or refresh to the addresses."""
    assert response.status_code == 400
    assert "Location" not in response.headers
    body = page_text(response)
    assert "The service's request cannot be followed" in body
    assert f"<code>{error}</code>" in body
    assert 'http-equiv="refresh"' not in body.lower()
    for uri in not_linked:
        assert f'href="{uri}' not in body
        assert f'action="{uri}' not in body


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"client_id": "nobody"}, "invalid_client", id="unknown client"),
        pytest.param({"client_id": None}, "invalid_client", id="missing client_id"),
        pytest.param({"redirect_uri": None}, "invalid_request", id="missing redirect_uri"),
        pytest.param(
            {"redirect_uri": "https://evil.example.com/cb"},
            "invalid_request",
            id="unregistered redirect_uri",
        ),
        pytest.param(
            {"redirect_uri": AMF_CALLBACK}, "invalid_request", id="another client's redirect_uri"
        ),
    ],
)
def test_request_without_a_trustworthy_redirect_is_answered_with_a_page(
    client, outbound, overrides, error
):
    params = valid_params(**overrides, lang="en")
    response = client.get(authorize_url(**params))
    assert_error_page(response, error, "https://evil.example.com", AMF_CALLBACK)
    assert len(outbound.calls) == 0


@pytest.mark.parametrize(
    "redirect_uri", UNREGISTERED_REDIRECTS.values(), ids=UNREGISTERED_REDIRECTS.keys()
)
def test_every_variant_of_the_registered_redirect_uri_is_refused(client, outbound, redirect_uri):
    response = client.get(authorize_url(**valid_params(redirect_uri=redirect_uri, lang="en")))
    assert_error_page(response, "invalid_request", redirect_uri)
    assert len(outbound.calls) == 0


def test_unregistered_redirect_wins_over_an_unsupported_response_type(client):
    """An early error (the response type) still never goes to an address not registered."""
    redirect_uri = UNREGISTERED_REDIRECTS["host-suffix"]
    params = valid_params(redirect_uri=redirect_uri, response_type="token", lang="en")
    response = client.get(authorize_url(**params))
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_unregistered_redirect_is_refused_for_a_signed_in_person(auth, browser, world):
    auth.sign_in(as_person(world.esm))
    request = browser.request(redirect_uri=UNREGISTERED_REDIRECTS["prefix"], lang="en")
    assert_error_page(browser.open(request), "invalid_request")


# -- 2. errors sent back to the relying party -------------------------------------------------


def test_unsupported_response_type_is_sent_back_with_state_and_issuer(browser):
    request = browser.request(response_type="token")
    assert_redirected_error(
        browser.open(request), "unsupported_response_type", request.state, IQEA_CALLBACK
    )


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"code_challenge": None, "code_challenge_method": None}, id="no challenge"),
        pytest.param({"code_challenge_method": "plain"}, id="plain method"),
        pytest.param({"code_challenge_method": None}, id="challenge without method"),
        pytest.param({"code_challenge_method": "S512"}, id="unknown method"),
    ],
)
def test_public_client_pkce_errors(browser, extra):
    request = browser.request(client_id="iqea-spa", redirect_uri=SPA_CALLBACK, **extra)
    assert_redirected_error(browser.open(request), "invalid_request", request.state, SPA_CALLBACK)


def test_public_client_with_an_s256_challenge_gets_a_code(browser, client, world):
    request = browser.request(client_id="iqea-spa", redirect_uri=SPA_CALLBACK)
    params = browser.authorize(as_person(world.esm), request)
    token = client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": SPA_CALLBACK,
            "client_id": "iqea-spa",
            "code_verifier": request.verifier,
        },
    )
    assert token.status_code == 200, token.get_data(as_text=True)
    assert token.get_json()["id_token"]


@pytest.mark.parametrize(
    "extra",
    [{"code_challenge_method": "plain"}, {"code_challenge_method": None}],
    ids=["plain method", "challenge without method"],
)
def test_confidential_client_pkce_must_be_s256_too(browser, extra):
    request = browser.request(**extra)
    assert_redirected_error(browser.open(request), "invalid_request", request.state, IQEA_CALLBACK)


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://iqea.example.gouv.qc.ca/req/1"}, "request_uri_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"response_mode": "form_post"}, "invalid_request"),
    ],
    ids=["request", "request_uri", "fragment", "form_post"],
)
def test_unsupported_parameters_are_sent_back(browser, outbound, extra, error):
    request = browser.request(**extra)
    response = browser.open(request)
    assert_redirected_error(response, error, request.state, IQEA_CALLBACK)
    assert "#" not in response.headers["Location"]
    assert len(outbound.calls) == 0


@pytest.mark.parametrize("max_age", ["abc", "1.5", "60s"])
def test_invalid_max_age_is_sent_back(auth, browser, world, max_age):
    auth.sign_in(as_person(world.esm))
    request = browser.request(max_age=max_age)
    assert_redirected_error(browser.open(request), "invalid_request", request.state, IQEA_CALLBACK)


@pytest.mark.parametrize(
    "max_age",
    ["99999999999999999999999", "9" * 5000, "²", "١٢٣", "-1"],
    ids=["past a timedelta", "past int() digits", "superscript digit", "arabic digits", "negative"],
)
def test_max_age_that_is_no_plain_number_of_seconds_is_sent_back(auth, browser, world, max_age):
    auth.sign_in(as_person(world.esm))
    request = browser.request(max_age=max_age)
    response = browser.open(request)
    assert_redirected_error(response, "invalid_request", request.state, IQEA_CALLBACK)
    assert "max_age" in redirect_params(response.headers["Location"])["error_description"]


def test_the_longest_max_age_accepted_asks_nothing(browser, client, clock, world, client_secrets):
    """Ten digits (over 300 years) is the bound; any session is younger than that."""
    browser.authorize(as_person(world.esm), browser.request())
    request = browser.request(max_age="9" * 10)
    assert "code" in callback_params(browser.open(request))


# Parameters out of their bounds: each one is refused by name, never quoted back.
OUT_OF_BOUNDS = {
    "long state": {"state": "s" * 513},
    "long nonce": {"nonce": "n" * 513},
    "long scope": {"scope": "openid " + "x" * 2000},
    "long unknown parameter": {"claims_locales": "x" * 1_000_000},
    "non-ascii response_type": {"response_type": "cod\u00e9"},
    "non-ascii state": {"state": "\u00e9t\u00e9"},
    "control character in nonce": {"nonce": "n\x00n"},
    "line break in login_hint": {"login_hint": "a\r\nSet-Cookie: x=1"},
}


@pytest.mark.parametrize("extra", OUT_OF_BOUNDS.values(), ids=OUT_OF_BOUNDS.keys())
def test_parameters_out_of_bounds_are_sent_back_as_invalid_request(browser, extra):
    request = browser.request(**extra)
    response = browser.open(request)
    params = callback_params(response)
    assert params["error"] == "invalid_request", params
    assert params["iss"] == ISSUER
    assert "code" not in params
    # The state comes back when it is itself within bounds, and no refused value comes back.
    assert params.get("state") == (request.state if "state" not in extra else None)
    for value in extra.values():
        assert value not in response.headers["Location"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": IQEA_CALLBACK + "/\u00e9"},
        {"redirect_uri": IQEA_CALLBACK + "?" + "x" * 1_000_000},
        {"client_id": "nobody", "state": "s" * 1_000_000},
    ],
    ids=["non-ascii redirect_uri", "1 MB redirect_uri", "unknown client, 1 MB state"],
)
def test_out_of_bounds_without_a_trustworthy_redirect_is_a_page(client, overrides):
    response = client.get(authorize_url(**valid_params(**overrides, lang="en")))
    assert_error_page(response, "invalid_request")
    body = page_text(response)
    assert len(body) < 50_000
    for value in overrides.values():
        assert value not in body


def test_a_posted_request_out_of_bounds_is_not_redirected_whole(client):
    """The form post is not turned into a GET carrying the megabyte along."""
    response = client.post("/oidc/authorize", data=valid_params(state="s" * 1_000_000))
    assert response.status_code == 302
    assert len(response.headers["Location"]) < 2000
    assert redirect_params(response.headers["Location"])["error"] == "invalid_request"


def test_prompt_none_with_another_value_is_invalid(browser):
    request = browser.request(prompt="none login")
    assert_redirected_error(browser.open(request), "invalid_request", request.state, IQEA_CALLBACK)


# -- 3. sign-in -------------------------------------------------------------------------------


def test_not_signed_in_is_sent_to_sign_in_and_back_with_a_code(browser, auth, client, world):
    request = browser.request()
    login = sign_in_location(browser.open(request))
    resume = parse_qs(urlsplit(login).query)["next"][0]
    assert resume.startswith("/oidc/authorize?")
    carried = redirect_params(resume)
    assert carried["client_id"] == "iqea"
    assert carried["redirect_uri"] == IQEA_CALLBACK
    assert carried["state"] == request.state
    assert carried["nonce"] == request.nonce
    assert carried["code_challenge"] == request.challenge
    assert carried["scope"] == request.scope

    back = sign_in_at(auth, login, as_person(world.esm))
    assert back == resume
    consent = client.get(back)
    assert is_consent_page(consent)
    params = callback_params(press(client, consent, decision="allow"))
    assert params["state"] == request.state
    assert params["iss"] == ISSUER
    assert params["code"]


def test_login_hint_fills_in_the_user_code(browser, client, world):
    user_code = world.esm.user_code
    login = sign_in_location(browser.open(browser.request(login_hint=user_code)))
    assert redirect_params(login)["login_hint"] == user_code
    page = client.get(login).get_data(as_text=True)
    field = re.search(r'<input[^>]*name="user_code"[^>]*>', page)
    assert field, page
    assert f'value="{user_code}"' in field.group(0)


def test_ui_locales_makes_the_sign_in_page_english(browser, client):
    login = sign_in_location(browser.open(browser.request(ui_locales="en-CA fr-CA")))
    page = page_text(client.get(login))
    assert 'lang="en"' in page
    assert "Sign in to clicSÉQUR – Entreprises" in page


def test_without_ui_locales_the_sign_in_page_is_french(browser, client):
    login = sign_in_location(browser.open(browser.request()))
    page = page_text(client.get(login))
    assert 'lang="fr"' in page
    assert "Sign in to clicSÉQUR – Entreprises" not in page


# -- 4. prompt=none ---------------------------------------------------------------------------


def test_prompt_none_without_a_session_is_login_required(browser):
    request = browser.request(prompt="none")
    assert_redirected_error(browser.open(request), "login_required", request.state, IQEA_CALLBACK)


def test_prompt_none_before_consent_is_consent_required(auth, browser, world):
    auth.sign_in(as_person(world.esm))
    request = browser.request(prompt="none")
    response = browser.open(request)
    assert_redirected_error(response, "consent_required", request.state, IQEA_CALLBACK)
    assert count(Consent) == 0


def test_prompt_none_with_several_enterprises_is_account_selection_required(
    auth, browser, consultant
):
    auth.sign_in(consultant)
    request = browser.request(prompt="none")
    response = browser.open(request)
    assert_redirected_error(response, "account_selection_required", request.state, IQEA_CALLBACK)
    assert count(EnterpriseChoice) == 0


def test_prompt_none_when_all_is_settled_gives_a_code_at_once(browser, world):
    browser.authorize(as_person(world.esm), browser.request())
    request = browser.request(prompt="none")
    params = callback_params(browser.open(request))
    assert params["code"]
    assert params["state"] == request.state
    assert params["iss"] == ISSUER


def test_prompt_none_for_a_person_without_rights_is_access_denied(auth, browser, world):
    auth.sign_in(as_person(world.other_user))
    request = browser.request(prompt="none")
    assert_redirected_error(browser.open(request), "access_denied", request.state, IQEA_CALLBACK)


def test_prompt_none_with_a_temporary_password_is_interaction_required(auth, browser, factory):
    """The password change comes before anything else, and it is a page: the site is told so
    instead of its silent request being led to a form."""
    auth.sign_in(factory.person(temporary=True))
    request = browser.request(prompt="none")
    response = browser.open(request)
    assert_redirected_error(response, "interaction_required", request.state, IQEA_CALLBACK)


def test_every_outcome_that_shows_a_page_has_its_prompt_none_error():
    from idp.federation import journey
    from idp.oidc.views.authorize import _PASSIVE_ERRORS

    assert set(_PASSIVE_ERRORS) == journey.SHOWS_A_PAGE


# -- 5. fresh sign-in: prompt=login, max_age, auth_time ---------------------------------------


def test_id_token_carries_the_time_of_sign_in(browser, client, clock, world, client_secrets):
    signed_in_at = timestamp_of(clock)
    _tokens, claims = sign_in_and_consent(browser, client, as_person(world.esm), client_secrets)
    assert claims["auth_time"] == signed_in_at
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "iqea"


def test_prompt_login_asks_for_a_new_sign_in_and_then_gives_a_code(
    browser, client, clock, world, client_secrets
):
    esm = as_person(world.esm)
    _tokens, first = sign_in_and_consent(browser, client, esm, client_secrets)
    clock.advance(minutes=10)

    request = browser.request(prompt="login")
    sign_in_location(browser.open(request))  # signed in, yet asked again
    params = browser.authorize(esm, request)  # signs in again; the way back does not loop
    tokens = redeem(client, request, params["code"], client_secrets)
    claims = id_token_of(client, tokens)
    assert claims["auth_time"] == timestamp_of(clock)
    assert claims["auth_time"] == first["auth_time"] + 600


def test_prompt_login_is_not_asked_again_on_the_way_back(browser, auth, client, clock, world):
    esm = as_person(world.esm)
    browser.authorize(esm, browser.request())
    clock.advance(minutes=5)
    request = browser.request(prompt="login")
    back = sign_in_at(auth, sign_in_location(browser.open(request)), esm)
    assert "prompt" not in redirect_params(back)
    params = callback_params(client.get(back))
    assert params["state"] == request.state


def test_max_age_exceeded_asks_for_a_sign_in(browser, client, clock, world, client_secrets):
    esm = as_person(world.esm)
    browser.authorize(esm, browser.request())
    clock.advance(minutes=2)
    request = browser.request(max_age="60")
    sign_in_location(browser.open(request))
    params = browser.authorize(esm, request)
    claims = id_token_of(client, redeem(client, request, params["code"], client_secrets))
    assert claims["auth_time"] == timestamp_of(clock)


def test_max_age_not_exceeded_asks_nothing(browser, client, clock, world, client_secrets):
    esm = as_person(world.esm)
    signed_in_at = timestamp_of(clock)
    browser.authorize(esm, browser.request())
    clock.advance(minutes=2)
    request = browser.request(max_age="600")
    params = callback_params(browser.open(request))
    claims = id_token_of(client, redeem(client, request, params["code"], client_secrets))
    assert claims["auth_time"] == signed_in_at


def test_max_age_exceeded_with_prompt_none_is_login_required(browser, clock, world):
    browser.authorize(as_person(world.esm), browser.request())
    clock.advance(minutes=2)
    request = browser.request(max_age="60", prompt="none")
    assert_redirected_error(browser.open(request), "login_required", request.state, IQEA_CALLBACK)


# -- 6. consent -------------------------------------------------------------------------------


def consent_of(account: Account, ministry: str = "melccfp") -> Consent | None:
    return db.session.scalars(
        select(Consent).where(Consent.account_id == account.id, Consent.ministry_key == ministry)
    ).one_or_none()


def test_first_visit_shows_what_is_shared(auth, browser, world):
    auth.sign_in(as_person(world.esm))
    response = browser.open(browser.request(lang="en"))
    assert is_consent_page(response)
    page = page_text(response)
    for label in (
        "An identifier of you that only this ministry's services know",
        "Your name",
        "Your email address",
        "The enterprise you act for, and your role there",
        "Staying connected while you use the service",
        "Submit the annual air emissions report – Operator identification",
        "Submit the annual air emissions report – Verifier identification",
    ):
        assert f"<li>{label}</li>" in page
    assert world.emitter.legal_name in page
    assert "Québec air emissions inventory" in page


def test_the_consent_page_puts_the_names_in_french_sentences(auth, browser, world):
    assert world.emitter.legal_name == "Aciérie Saint-Laurent inc."
    auth.sign_in(as_person(world.esm))
    amf = browser.request(client_id="amf-portal", redirect_uri=AMF_CALLBACK, scope=AMF_SCOPES)
    page = page_text(browser.open(amf))
    assert "<h1>Transmettre vos renseignements aux services en ligne de l'AMF?</h1>" in page
    assert "première visite aux services de l'Autorité des marchés financiers," in page
    assert "Agissant pour Aciérie Saint-Laurent inc., ils recevront" in page
    page = page_text(browser.open(browser.request(lang="en")))
    assert "<h1>Send your information to the Québec air emissions inventory?</h1>" in page
    assert "first visit to the services of the Ministère de l'Environnement" in page


def test_consent_page_lists_only_the_rights_the_person_holds(auth, browser, operator_person):
    auth.sign_in(operator_person)
    page = page_text(browser.open(browser.request(lang="en")))
    assert "Submit the annual air emissions report – Operator identification" in page
    assert "Verifier identification" not in page


def test_the_consent_page_shows_no_menu_to_wander_off_with(auth, browser, client, operator_person):
    auth.sign_in(operator_person)
    consent = page_text(browser.open(browser.request(lang="en")))
    assert "Main menu" not in consent
    assert "Main menu" in client.get("/?lang=en").get_data(as_text=True)


def test_refusing_consent_is_access_denied_and_records_nothing(auth, browser, client, world):
    auth.sign_in(as_person(world.esm))
    request = browser.request()
    response = press(client, browser.open(request), decision="deny")
    assert_redirected_error(response, "access_denied", request.state, IQEA_CALLBACK)
    assert count(Consent) == 0
    assert count(AuthorizationCode) == 0


def test_agreeing_records_the_consent_for_the_ministry(browser, world):
    request = browser.request()
    params = browser.authorize(as_person(world.esm), request)
    assert params["code"]
    consent = consent_of(world.esm)
    assert consent is not None
    assert consent.scopes == sorted(IQEA_SCOPES)
    assert consent_of(world.esm, "amf") is None


def test_another_site_of_the_same_ministry_does_not_ask_again(browser, world):
    browser.authorize(as_person(world.esm), browser.request())
    request = browser.request(client_id="iqea-post")
    params = callback_params(browser.open(request))
    assert params["code"]
    assert params["state"] == request.state


def test_another_ministry_asks_for_its_own_consent(browser, world):
    browser.authorize(as_person(world.esm), browser.request())
    request = browser.request(client_id="amf-portal", redirect_uri=AMF_CALLBACK, scope=AMF_SCOPES)
    assert is_consent_page(browser.open(request))


def test_prompt_consent_asks_again(browser, client, world):
    esm = as_person(world.esm)
    browser.authorize(esm, browser.request())
    request = browser.request(prompt="consent")
    page = browser.open(request)
    assert is_consent_page(page)
    params = callback_params(press(client, page, decision="allow"))
    assert params["code"]


def test_a_scope_not_yet_agreed_asks_again(browser, client, world):
    esm = as_person(world.esm)
    browser.authorize(esm, browser.request(scope=["openid", "profile", OPERATOR]))
    assert consent_of(world.esm).scopes == sorted(["openid", "profile", OPERATOR])

    request = browser.request(scope=["openid", "profile", "email", OPERATOR], lang="en")
    page = browser.open(request)
    assert is_consent_page(page)
    assert "Your email address" in page_text(page)
    callback_params(press(client, page, decision="allow"))
    assert consent_of(world.esm).scopes == sorted(["email", "openid", "profile", OPERATOR])


def test_fewer_scopes_than_agreed_do_not_ask_again(browser, world):
    browser.authorize(as_person(world.esm), browser.request())
    params = callback_params(browser.open(browser.request(scope=["openid", OPERATOR])))
    assert params["code"]


# -- 7. the enterprise acted for --------------------------------------------------------------


def test_choice_page_lists_the_enterprises_the_person_acts_for(
    auth, browser, world, second_client, consultant
):
    auth.sign_in(consultant)
    response = browser.open(browser.request())
    assert is_choice_page(response)
    page = page_text(response)
    assert world.emitter.legal_name in page
    assert second_client.legal_name in page
    assert f'name="enterprise" value="{world.emitter.id}"' in page
    assert f'name="enterprise" value="{second_client.id}"' in page
    # The consultant's own firm is not registered at the ministry: not a choice.
    assert f'value="{world.firm.id}"' not in page


def test_choosing_then_agreeing_on_a_first_visit_reaches_a_code(
    auth, browser, client, world, second_client, consultant
):
    """The choice made on the first page must hold when the consent page is answered."""
    auth.sign_in(consultant)
    request = browser.request()
    consent = press(client, browser.open(request), enterprise=str(second_client.id))
    assert is_consent_page(consent)
    response = press(client, consent, decision="allow")
    assert not is_choice_page(response), "the consent page led back to the enterprise choice"
    params = callback_params(response)
    assert params["code"]
    assert params["state"] == request.state
    choice = db.session.scalars(select(EnterpriseChoice)).one()
    assert choice.enterprise_id == second_client.id


def test_the_chosen_enterprise_is_in_the_tokens(
    browser, client, world, second_client, consultant_agreed, client_secrets
):
    tokens, claims = sign_in_and_consent(
        browser, client, consultant_agreed, client_secrets, enterprise_id=second_client.id
    )
    assert claims["enterprise"]["neq"] == second_client.neq
    assert claims["enterprise"]["name"] == second_client.legal_name
    assert claims["agent"]["neq"] == world.firm.neq
    [details] = tokens["authorization_details"]
    assert details["enterprise"] == second_client.neq
    assert details["agent"] == world.firm.neq
    access = decode(client, tokens["access_token"]).claims
    assert access["authorization_details"][0]["enterprise"] == second_client.neq
    choice = db.session.scalars(select(EnterpriseChoice)).one()
    assert choice.enterprise_id == second_client.id


def test_the_choice_is_remembered_for_the_session(
    browser, client, world, second_client, consultant_agreed, client_secrets
):
    browser.authorize(consultant_agreed, browser.request(), enterprise_id=world.emitter.id)
    request = browser.request(client_id="iqea-post")
    params = callback_params(browser.open(request))  # no page: same ministry, same session
    tokens = redeem(client, request, params["code"], client_secrets)
    assert id_token_of(client, tokens)["enterprise"]["neq"] == world.emitter.neq


@pytest.mark.parametrize("which", ["own firm", "unrelated enterprise", "not a number"])
def test_an_enterprise_the_person_cannot_act_for_is_refused(
    auth, browser, client, factory, world, second_client, consultant_agreed, which
):
    """Consent is already given: a choice accepted by mistake would end in a code."""
    unrelated = factory.enterprise("Entreprise Étrangère inc.")
    posted = {
        "own firm": str(world.firm.id),
        "unrelated enterprise": str(unrelated.id),
        "not a number": "x1",
    }[which]
    auth.sign_in(consultant_agreed)
    request = browser.request()
    page = browser.open(request)
    assert is_choice_page(page)
    response = press(client, page, enterprise=posted)
    assert_redirected_error(response, "invalid_request", request.state, IQEA_CALLBACK)
    assert count(AuthorizationCode) == 0
    assert count(EnterpriseChoice) == 0


def test_prompt_select_account_shows_the_choice_again(
    browser, client, world, second_client, consultant_agreed, client_secrets
):
    browser.authorize(consultant_agreed, browser.request(), enterprise_id=world.emitter.id)
    request = browser.request(prompt="select_account")
    page = browser.open(request)
    assert is_choice_page(page)
    params = callback_params(press(client, page, enterprise=str(second_client.id)))
    tokens = redeem(client, request, params["code"], client_secrets)
    assert id_token_of(client, tokens)["enterprise"]["neq"] == second_client.neq
    # The new choice is the one remembered.
    again = callback_params(browser.open(browser.request(client_id="iqea-post")))
    assert again["code"]
    choice = db.session.scalars(select(EnterpriseChoice)).one()
    assert choice.enterprise_id == second_client.id


def test_prompt_select_account_on_a_first_visit_reaches_a_code(
    auth, browser, client, world, second_client, consultant
):
    """Choice, then consent: the consent page must not lead back to the choice."""
    auth.sign_in(consultant)
    request = browser.request(prompt="select_account")
    choice = browser.open(request)
    assert is_choice_page(choice)
    consent = press(client, choice, enterprise=str(world.emitter.id))
    assert is_consent_page(consent)
    response = press(client, consent, decision="allow")
    assert not is_choice_page(response), "the consent page led back to the enterprise choice"
    params = callback_params(response)
    assert params["code"]


def test_a_single_enterprise_is_chosen_without_a_page(browser, world, operator_person):
    params = browser.authorize(operator_person, browser.request())  # would fail on a choice page
    assert params["code"]
    choice = db.session.scalars(select(EnterpriseChoice)).one()
    assert choice.enterprise_id == world.emitter.id


# -- 8. no right the site needs ---------------------------------------------------------------


def test_no_rights_page_then_access_denied(auth, browser, client, world):
    auth.sign_in(as_person(world.other_user))
    request = browser.request(lang="en")
    page = browser.open(request)
    assert page.status_code == 403
    text = page_text(page)
    assert "You have no access to this service" in text
    assert "Ask the electronic services manager of your enterprise" in text
    assert count(AuthorizationCode) == 0

    response = press(client, page, decision="deny")
    assert_redirected_error(response, "access_denied", request.state, IQEA_CALLBACK)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "oidc:authorization:deny")
    ).one()
    assert event.subject_account_id == world.other_user.id
    assert event.outcome == "denied"
    assert event.details["relying_party"] == "iqea"
    assert count(AuthorizationCode) == 0


def test_leaving_the_no_rights_page_tells_the_site_why(auth, browser, client, world):
    """Returning from the no-rights page is not a refusal of consent: the site and the audit
    trail learn that the person holds no right, as they do with ``prompt=none``."""
    auth.sign_in(as_person(world.other_user))
    silent = callback_params(browser.open(browser.request(prompt="none")))
    request = browser.request()
    params = callback_params(press(client, browser.open(request), decision="deny"))
    assert params["error"] == "access_denied"
    assert params["error_description"] == silent["error_description"]
    reasons = db.session.scalars(
        select(AuditEvent.details)
        .where(AuditEvent.action == "oidc:authorization:deny")
        .order_by(AuditEvent.id)
    ).all()
    assert [details["reason"] for details in reasons] == ["no_rights", "no_rights"]


# -- 9. rights claims -------------------------------------------------------------------------


def test_esm_holds_every_right_asked_for(browser, client, world, client_secrets):
    tokens, claims = sign_in_and_consent(browser, client, as_person(world.esm), client_secrets)
    assert claims["role"] == "esm"
    assert claims["rights"] == [OPERATOR, VERIFIER]
    assert claims["enterprise"]["neq"] == world.emitter.neq
    assert "agent" not in claims
    [details] = tokens["authorization_details"]
    assert details["type"] == "clicsequr_rights"
    assert details["ministry"] == "melccfp"
    assert details["source"] == "esm"
    assert details["rights"] == [OPERATOR, VERIFIER]
    assert "proxy_id" not in details


def test_esm_receives_only_the_rights_asked_as_scopes(browser, client, world, client_secrets):
    tokens, claims = sign_in_and_consent(
        browser, client, as_person(world.esm), client_secrets, scope=["openid", VERIFIER]
    )
    assert claims["rights"] == [VERIFIER]
    assert tokens["authorization_details"][0]["rights"] == [VERIFIER]


def test_internal_proxy_user_holds_only_the_proxy_rights(
    browser, client, world, operator_person, client_secrets
):
    tokens, claims = sign_in_and_consent(browser, client, operator_person, client_secrets)
    assert claims["role"] == "user"
    assert claims["rights"] == [OPERATOR]
    assert VERIFIER not in tokens["scope"].split()
    assert "agent" not in claims
    [details] = tokens["authorization_details"]
    assert details["source"] == "internal"
    assert details["rights"] == [OPERATOR]
    assert details["enterprise"] == world.emitter.neq
    assert details["proxy_id"]
    assert details["proxy_valid_until"] == "2027-06-30"


def test_external_proxy_user_holds_the_verifier_right_as_agent(
    browser, client, world, consultant_agreed, client_secrets
):
    tokens, claims = sign_in_and_consent(
        browser, client, consultant_agreed, client_secrets, enterprise_id=world.emitter.id
    )
    assert claims["role"] == "user"
    assert claims["rights"] == [VERIFIER]
    assert claims["agent"] == {"neq": world.firm.neq, "name": world.firm.legal_name}
    [details] = tokens["authorization_details"]
    assert details["source"] == "external"
    assert details["rights"] == [VERIFIER]
    assert details["agent"] == world.firm.neq
    assert details["proxy_id"]
    assert details["proxy_valid_until"] == "2027-01-01"


def test_rights_of_one_ministry_only(browser, client, world, client_secrets):
    esm = as_person(world.esm)
    iqea_tokens, iqea_claims = sign_in_and_consent(browser, client, esm, client_secrets)
    amf_tokens, amf_claims = sign_in_and_consent(
        browser,
        client,
        esm,
        client_secrets,
        client_id="amf-portal",
        redirect_uri=AMF_CALLBACK,
        scope=AMF_SCOPES,
    )
    assert all(right.startswith("melccfp.") for right in iqea_claims["rights"])
    assert amf_claims["rights"] == sorted(["amf.payments", "amf.disclosures.31_103"])
    assert iqea_tokens["authorization_details"][0]["ministry"] == "melccfp"
    assert amf_tokens["authorization_details"][0]["ministry"] == "amf"
    assert all(r.startswith("amf.") for r in amf_tokens["authorization_details"][0]["rights"])


def test_a_right_of_another_ministry_asked_of_iqea_is_never_given(
    browser, client, world, client_secrets
):
    tokens, claims = sign_in_and_consent(
        browser,
        client,
        as_person(world.esm),
        client_secrets,
        scope=["openid", "amf.payments", OPERATOR],
    )
    assert "amf.payments" not in tokens["scope"].split()
    assert claims["rights"] == [OPERATOR]
    assert "amf.payments" not in consent_of(world.esm).scopes


# -- 10. pairwise subjects --------------------------------------------------------------------


def test_subject_is_shared_within_a_ministry_only(browser, client, world, client_secrets):
    esm = as_person(world.esm)
    _t, iqea = sign_in_and_consent(browser, client, esm, client_secrets)
    _t, iqea_post = sign_in_and_consent(browser, client, esm, client_secrets, client_id="iqea-post")
    amf_request = browser.request(
        client_id="amf-portal", redirect_uri=AMF_CALLBACK, scope=AMF_SCOPES
    )
    params = browser.authorize(esm, amf_request)
    amf_tokens = redeem(client, amf_request, params["code"], client_secrets)
    amf_token = decode(client, amf_tokens["id_token"])
    assert amf_token.header["alg"] == "PS256"
    amf = amf_token.claims

    assert iqea["sub"] == iqea_post["sub"]
    assert amf["sub"] != iqea["sub"]
    assert (iqea["aud"], iqea_post["aud"], amf["aud"]) == ("iqea", "iqea-post", "amf-portal")


def test_two_people_have_different_subjects(
    browser, auth, client, world, operator_person, client_secrets
):
    _t, esm = sign_in_and_consent(browser, client, as_person(world.esm), client_secrets)
    auth.sign_out()
    _t, user = sign_in_and_consent(browser, client, operator_person, client_secrets)
    assert esm["sub"] != user["sub"]


# -- 11. POSTed requests and CSRF -------------------------------------------------------------


def test_a_posted_request_is_continued_as_a_get(browser, client, world):
    browser.authorize(as_person(world.esm), browser.request())
    request = browser.request()
    fields = redirect_params(request.url)
    response = client.post("/oidc/authorize", data=fields)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert urlsplit(location).path == "/oidc/authorize"
    assert redirect_params(location) == fields
    params = callback_params(client.get(location))
    assert params["code"]
    assert params["state"] == request.state


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["missing", "forged"])
def test_the_decision_needs_the_csrf_token(auth, browser, client, world, token):
    auth.sign_in(as_person(world.esm))
    request = browser.request()
    assert is_consent_page(browser.open(request))
    data = {"decision": "allow"} | ({"csrf_token": token} if token else {})
    response = client.post(request.url, data=data)
    assert_redirected_error(response, "invalid_request", request.state, IQEA_CALLBACK)
    assert count(AuthorizationCode) == 0
    assert count(Consent) == 0


def test_the_enterprise_choice_needs_the_csrf_token(
    auth, browser, client, world, second_client, consultant_agreed
):
    """Consent is already given: with a valid token the choice would end in a code."""
    auth.sign_in(consultant_agreed)
    request = browser.request()
    assert is_choice_page(browser.open(request))
    response = client.post(request.url, data={"enterprise": str(world.emitter.id)})
    assert_redirected_error(response, "invalid_request", request.state, IQEA_CALLBACK)
    assert count(EnterpriseChoice) == 0
    assert count(AuthorizationCode) == 0


# -- 12. nonce replay -------------------------------------------------------------------------


def test_a_nonce_is_used_once_per_client(browser, world):
    esm = as_person(world.esm)
    assert browser.authorize(esm, browser.request(nonce="same-nonce"))["code"]
    request = browser.request(nonce="same-nonce")
    assert_redirected_error(browser.open(request), "invalid_request", request.state, IQEA_CALLBACK)


def test_the_same_nonce_at_another_client_is_accepted(browser, world):
    esm = as_person(world.esm)
    assert browser.authorize(esm, browser.request(nonce="same-nonce"))["code"]
    params = callback_params(
        browser.open(browser.request(client_id="iqea-post", nonce="same-nonce"))
    )
    assert params["code"]
