"""Pushed authorization requests (RFC 9126): the push, the browser's ``request_uri``, and the
attacks on both (replay, expiry, another client, no client authentication, a request the
authorization endpoint would refuse, a client that must push sending a plain request).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from idp.extensions import db
from idp.lifecycle import run_lifecycle
from idp.oidc import par
from idp.oidc.models import PushedAuthorizationRequest
from idp.relying_parties import new_client_secret
from tests.concurrency import fire_together
from tests.oidc.conftest import (
    AMF_CALLBACK,
    IQEA_CALLBACK,
    SPA_CALLBACK,
    AuthorizationRequest,
    Secrets,
    basic_auth,
    exchange,
    redirect_params,
    write_client,
    write_secret_client,
)
from tests.oidc.test_client_authentication import (
    assertion_claims,
    signed_assertion,
    with_assertion,
)

PAR_PATH = "/oidc/par"
# The error page's explanations (French, the default language).
UNKNOWN = "Cette demande de connexion est inconnue ou a déjà reçu sa réponse."
ISSUER = "http://localhost"
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# A client registered with require_pushed_authorization_requests = true.
MUST_PUSH = "iqea-par"


@pytest.fixture
def relying_parties(relying_parties: Path, client_secrets: Secrets) -> Path:
    """The test world's clients and ``iqea-par``, which must push its requests."""
    write_secret_client(
        relying_parties,
        client_secrets,
        {
            "client_id": MUST_PUSH,
            "name_fr": "Inventaire québécois des émissions atmosphériques",
            "name_en": "Québec air emissions inventory",
            "required_rights": ["melccfp.iqea.operator", "melccfp.iqea.verifier"],
            "require_pushed_authorization_requests": True,
        },
    )
    return relying_parties


@dataclass
class PushedRequest(AuthorizationRequest):
    """An authorization request pushed first: the browser carries only its reference."""

    request_uri: str = ""

    @property
    def url(self) -> str:
        return "/oidc/authorize?" + urlencode(
            {"client_id": self.client_id, "request_uri": self.request_uri}
        )


def query_of(request: AuthorizationRequest) -> dict[str, str]:
    """The parameters the request would put in the browser's address."""
    return dict(parse_qsl(urlsplit(request.url).query))


def push_form(
    client: Any, client_secrets: Any, request: AuthorizationRequest, /, **changes: str | None
) -> Any:
    """POST the request to the endpoint as its client (HTTP Basic); None removes a parameter."""
    form = {**query_of(request), **changes}
    data = {k: v for k, v in form.items() if v is not None}
    secret = client_secrets[request.client_id]
    return client.post(PAR_PATH, data=data, headers=basic_auth(request.client_id, secret))


def pushed(response: Any, request: AuthorizationRequest) -> PushedRequest:
    """The request behind the ``request_uri`` of a successful push."""
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["request_uri"].startswith(REQUEST_URI_PREFIX)
    assert body["expires_in"] == par.LIFETIME_SECONDS
    assert response.headers["Cache-Control"] == "no-store"
    return PushedRequest(**vars(request), request_uri=body["request_uri"])


def push(client: Any, client_secrets: Any, request: AuthorizationRequest) -> PushedRequest:
    return pushed(push_form(client, client_secrets, request), request)


def refused(response: Any, error: str, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert "Location" not in response.headers
    body = response.get_json()
    assert body["error"] == error, body
    assert "request_uri" not in body
    return dict(body)


def refused_page(response: Any, explanation: str) -> None:
    """The error page of an unusable request_uri: no redirect, the reason said."""
    assert response.status_code == 400, response.headers.get("Location")
    text = html.unescape(response.get_data(as_text=True))
    assert "invalid_request_uri" in text
    assert explanation in text


def is_sign_in(response: Any) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path in (
        "/connexion",
    )


def pushed_rows() -> int:
    return int(db.session.scalar(select(func.count()).select_from(PushedAuthorizationRequest)))


# -- the journey ----------------------------------------------------------------------------------


def test_pushed_request_signs_in_to_a_code_and_tokens(
    client, browser, operator_person, client_secrets
):
    request = push(client, client_secrets, browser.request())

    params = browser.authorize(operator_person, request)

    assert params["state"] == request.state
    assert params["iss"] == ISSUER
    token = exchange(client, request, params["code"], client_secrets["iqea"])
    assert token.status_code == 200, token.get_data(as_text=True)
    assert "id_token" in token.get_json()
    # Answered: the row is gone.
    assert pushed_rows() == 0


def test_pushed_request_by_private_key_jwt(client, browser, operator_person, clock):
    request = browser.request(client_id="iqea-jwt")
    form = with_assertion(
        query_of(request), signed_assertion(assertion_claims(clock, aud=f"{ISSUER}{PAR_PATH}"))
    )
    pushed_request = pushed(client.post(PAR_PATH, data=form), request)

    params = browser.authorize(operator_person, pushed_request)

    assert params["state"] == request.state


def test_a_public_client_pushes_with_its_client_id_and_pkce(client, browser):
    """RFC 9126 2: a public client authenticates at the endpoint as at the token endpoint."""
    request = browser.request(client_id="iqea-spa", redirect_uri=SPA_CALLBACK)

    pushed_request = pushed(client.post(PAR_PATH, data=query_of(request)), request)

    assert is_sign_in(browser.open(pushed_request))


def test_parameters_in_the_browsers_address_are_ignored(
    client, browser, operator_person, client_secrets
):
    """RFC 9126 4: only the pushed parameters count, not ones added on the way."""
    request = push(client, client_secrets, browser.request())
    tampered = f"{request.url}&" + urlencode({"state": "forged", "redirect_uri": AMF_CALLBACK})

    assert is_sign_in(browser.open(tampered))

    # Back to the pushed redirect URI with the pushed state (authorize() asserts the former).
    params = browser.authorize(operator_person, request)
    assert params["state"] == request.state


def test_the_same_browser_may_come_back_before_the_answer(client, browser, client_secrets):
    """A reload (RFC 9126 4 allows it), as the sign-in and consent pages come back."""
    request = push(client, client_secrets, browser.request())

    assert is_sign_in(browser.open(request))
    assert is_sign_in(browser.open(request))


def test_fresh_sign_in_asked_in_a_pushed_request_is_asked_once(
    client, browser, operator_person, client_secrets, auth
):
    """prompt=login is dropped from the stored request once the sign-in is asked, as a plain
    request's resume address drops it: no endless round of sign-ins."""
    auth.sign_in(operator_person)
    request = push(client, client_secrets, browser.request(prompt="login consent"))

    response = browser.open(request)

    assert is_sign_in(response)
    assert "prompt" not in urlsplit(response.headers["Location"]).query
    stored = db.session.scalars(select(PushedAuthorizationRequest)).one()
    assert stored.parameters["prompt"] == "consent"


def test_an_error_sent_back_to_the_client_ends_the_pushed_request(client, browser, client_secrets):
    request = push(client, client_secrets, browser.request(prompt="none"))

    response = browser.open(request)

    assert redirect_params(response.headers["Location"])["error"] == "login_required"
    assert pushed_rows() == 0
    refused_page(browser.open(request), UNKNOWN)


# -- attacks on the request_uri -----------------------------------------------------------------


def test_a_request_uri_is_answered_once(client, browser, operator_person, client_secrets):
    request = push(client, client_secrets, browser.request())
    browser.authorize(operator_person, request)

    replay = browser.open(request)

    refused_page(replay, UNKNOWN)


def test_another_browser_cannot_use_a_claimed_request_uri(app, client, browser, client_secrets):
    request = push(client, client_secrets, browser.request())
    assert is_sign_in(browser.open(request))

    stolen = app.test_client().get(request.url)

    refused_page(stolen, "a déjà servi, peut-être dans un autre navigateur")
    # The first browser goes on.
    assert is_sign_in(browser.open(request))


def test_an_expired_request_uri_is_sent_back_to_its_client(client, browser, client_secrets, clock):
    request = push(client, client_secrets, browser.request())
    clock.advance(seconds=par.LIFETIME_SECONDS)

    response = browser.open(request)

    assert response.status_code == 302
    params = redirect_params(response.headers["Location"])
    assert response.headers["Location"].startswith(IQEA_CALLBACK + "?")
    assert params["error"] == "invalid_request_uri"
    assert params["state"] == request.state
    assert params["iss"] == ISSUER
    assert "code" not in params


def test_another_client_cannot_use_a_request_uri(client, browser, client_secrets):
    request = push(client, client_secrets, browser.request())
    other = PushedRequest(**{**vars(request), "client_id": "amf-portal"})

    refused_page(browser.open(other), "préparée pour un autre site")
    # Not consumed by the attempt.
    assert is_sign_in(browser.open(request))


@pytest.mark.parametrize(
    "request_uri",
    [
        REQUEST_URI_PREFIX + "made-up",
        REQUEST_URI_PREFIX,
        REQUEST_URI_PREFIX + "é" * 40,
    ],
    ids=["unknown", "empty", "not-ascii"],
)
def test_an_unknown_request_uri_is_a_page(browser, request_uri):
    url = "/oidc/authorize?" + urlencode({"client_id": "iqea", "request_uri": request_uri})
    refused_page(browser.open(url), UNKNOWN)


def test_the_error_page_speaks_english_when_asked(client, browser, client_secrets):
    url = "/oidc/authorize?" + urlencode(
        {"client_id": "iqea", "request_uri": REQUEST_URI_PREFIX + "x", "lang": "en"}
    )
    page = html.unescape(browser.open(url).get_data(as_text=True))
    assert "This sign-in request is unknown" in page


def test_the_error_page_speaks_french_by_default(browser):
    url = "/oidc/authorize?" + urlencode({"client_id": "iqea", "request_uri": REQUEST_URI_PREFIX})
    page = html.unescape(browser.open(url).get_data(as_text=True))
    assert UNKNOWN in page


def test_browsers_racing_for_one_request_uri_have_one_winner(app, client, browser, client_secrets):
    """Each its own browser (no shared cookie), released together: one claim wins."""
    request = push(client, client_secrets, browser.request())
    db.session.commit()
    attempts = 6

    def attempt() -> Any:
        with app.app_context():
            try:
                response = app.test_client().get(request.url)
                return "sign-in" if is_sign_in(response) else response.status_code
            finally:
                db.session.remove()

    statuses = fire_together([attempt] * attempts)

    assert sorted(statuses, key=str) == [400] * (attempts - 1) + ["sign-in"], statuses


# -- attacks on the push ------------------------------------------------------------------------


def test_a_push_without_client_authentication_is_refused(client, browser):
    form = query_of(browser.request())
    refused(client.post(PAR_PATH, data=form), "invalid_client", 401)


def test_a_push_with_a_wrong_secret_is_refused(client, browser):
    request = browser.request()
    response = client.post(
        PAR_PATH, data=query_of(request), headers=basic_auth("iqea", "not-the-secret")
    )
    refused(response, "invalid_client", 401)


def test_a_push_for_another_client_id_is_refused(client, browser, client_secrets):
    response = push_form(client, client_secrets, browser.request(), client_id="amf-portal")
    refused(response, "invalid_request")
    assert pushed_rows() == 0


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"redirect_uri": "https://attacker.example/callback"}, "invalid_request"),
        ({"redirect_uri": AMF_CALLBACK}, "invalid_request"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"request_uri": REQUEST_URI_PREFIX + "abc"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"max_age": "1e9"}, "invalid_request"),
        ({"max_age": "9" * 30}, "invalid_request"),
    ],
    ids=[
        "unregistered-redirect",
        "other-clients-redirect",
        "no-redirect",
        "request_uri-inside",
        "request-object",
        "implicit",
        "fragment",
        "no-pkce",
        "plain-pkce",
        "max_age-not-integer",
        "max_age-huge",
    ],
)
def test_a_push_the_authorization_endpoint_would_refuse_is_refused(
    client, browser, client_secrets, changes, error
):
    response = push_form(client, client_secrets, browser.request(), **changes)
    refused(response, error)
    assert pushed_rows() == 0


@pytest.mark.parametrize(
    "form",
    [
        {"state": "x" * 20_000},
        {"state": "a\x00b"},
        {"redirect_uri": IQEA_CALLBACK + "é"},
        {"nonce": "n" * 600},
        {"x" * 100: "y"},
    ],
    ids=["huge-state", "control-character", "not-ascii-redirect", "long-nonce", "long-name"],
)
def test_out_of_bounds_input_is_invalid_request(client, browser, client_secrets, form):
    response = push_form(client, client_secrets, browser.request(), **form)
    refused(response, "invalid_request")


@pytest.mark.parametrize("name", ["scope", "é"])
def test_a_repeated_parameter_is_refused(client, browser, client_secrets, name):
    request = browser.request()
    data = MultiDict([*query_of(request).items(), (name, "openid"), (name, "profile")])
    response = client.post(PAR_PATH, data=data, headers=basic_auth("iqea", client_secrets["iqea"]))
    refused(response, "invalid_request")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"state=%ff%fe&client_id=iqea"),
        ("application/json", b'{"client_id": "iqea"}'),
        ("application/x-www-form-urlencoded", b"%%%&&&==="),
        ("application/x-www-form-urlencoded", b"a=" + b"b" * 2_000_000),
    ],
    ids=["not-utf8", "json", "garbage", "two-megabytes"],
)
def test_malformed_bodies_are_answered_without_a_500(client, client_secrets, content_type, body):
    response = client.post(
        PAR_PATH,
        data=body,
        content_type=content_type,
        headers=basic_auth("iqea", client_secrets["iqea"]),
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]


def test_a_get_is_not_a_push(client):
    assert client.get(PAR_PATH).status_code == 405


# -- clients that must push -----------------------------------------------------------------------


def test_a_client_that_must_push_cannot_send_a_plain_request(browser):
    request = browser.request(client_id=MUST_PUSH)

    response = browser.open(request)

    assert response.status_code == 302
    params = redirect_params(response.headers["Location"])
    assert params["error"] == "invalid_request"
    assert params["state"] == request.state
    assert "code" not in params


def test_a_client_that_must_push_signs_in_by_pushing(
    client, browser, operator_person, client_secrets
):
    request = push(client, client_secrets, browser.request(client_id=MUST_PUSH))
    params = browser.authorize(operator_person, request)
    assert "code" in params


def test_the_registration_key_is_a_boolean(tmp_path, runtime):
    from idp.relying_parties import RegistryError, load_registry

    directory = tmp_path / "parties"
    directory.mkdir()
    _secret, digest = new_client_secret()
    write_client(
        directory,
        {
            "kind": "oidc",
            "client_id": "strict",
            "ministry": "melccfp",
            "name_fr": "Site",
            "name_en": "Site",
            "redirect_uris": [IQEA_CALLBACK],
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret_sha256": digest,
            "require_pushed_authorization_requests": "yes",
        },
    )
    with pytest.raises(RegistryError, match="require_pushed_authorization_requests"):
        load_registry(directory, runtime.catalogue)


# -- discovery and the lifecycle -----------------------------------------------------------------


def test_discovery_advertises_the_endpoint(client):
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert metadata["pushed_authorization_request_endpoint"] == f"{ISSUER}{PAR_PATH}"
    assert metadata["require_pushed_authorization_requests"] is False


def test_the_lifecycle_run_removes_expired_pushed_requests(
    client, browser, client_secrets, clock, runtime
):
    push(client, client_secrets, browser.request())
    clock.advance(days=2)
    push(client, client_secrets, browser.request())

    run_lifecycle(db.session, runtime)
    db.session.commit()

    assert pushed_rows() == 1
