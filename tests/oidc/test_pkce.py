"""PKCE (RFC 7636) as RFC 9700 2.1.1 asks: S256, from every client unless registered otherwise.

Besides the clients of ``tests/oidc/conftest.py``, ``iqea-legacy`` is a confidential site
registered with ``require_pkce = false``, as a legacy site that cannot send PKCE would be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.oidc.conftest import (
    IQEA_CALLBACK,
    SPA_CALLBACK,
    AuthorizationRequest,
    basic_auth,
    redirect_params,
    write_secret_client,
)

ISSUER = "http://localhost"
PKCE_REQUIRED = "PKCE is required: send a 'code_challenge' (S256)."
S256_ONLY = "'code_challenge_method' must be S256."


@pytest.fixture
def relying_parties(relying_parties: Path, client_secrets: Any) -> Path:
    write_secret_client(
        relying_parties,
        client_secrets,
        {
            "client_id": "iqea-legacy",
            "name_fr": "IQEA (ancienne version)",
            "name_en": "IQEA (legacy)",
            "required_rights": ["melccfp.iqea.operator"],
            "require_pkce": False,
        },
    )
    return relying_parties


def assert_sent_back(response: Any, request: AuthorizationRequest, description: str) -> None:
    """An ``invalid_request`` redirected to the client with this description, and no code."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(request.redirect_uri + "?"), location
    params = redirect_params(location)
    assert params["error"] == "invalid_request", params
    assert params["error_description"] == description
    assert params["state"] == request.state
    assert params["iss"] == ISSUER
    assert "code" not in params


def redeem(client: Any, request: AuthorizationRequest, code: str, secret: str, **extra: str):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        **extra,
    }
    return client.post("/oidc/token", data=data, headers=basic_auth(request.client_id, secret))


CLIENTS = {
    "client_secret_basic": ("iqea", IQEA_CALLBACK),
    "private_key_jwt": ("iqea-jwt", IQEA_CALLBACK),
    "public": ("iqea-spa", SPA_CALLBACK),
}


@pytest.mark.parametrize(("client_id", "redirect_uri"), CLIENTS.values(), ids=CLIENTS.keys())
def test_a_request_without_a_challenge_is_sent_back(browser, client_id, redirect_uri):
    request = browser.request(
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_challenge=None,
        code_challenge_method=None,
    )
    assert_sent_back(browser.open(request), request, PKCE_REQUIRED)


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [*CLIENTS.values(), ("iqea-legacy", IQEA_CALLBACK)],
    ids=[*CLIENTS.keys(), "opted out"],
)
def test_plain_is_refused_whoever_asks(browser, client_id, redirect_uri):
    request = browser.request(
        client_id=client_id, redirect_uri=redirect_uri, code_challenge_method="plain"
    )
    assert_sent_back(browser.open(request), request, S256_ONLY)


def test_a_client_that_opted_out_signs_people_in_without_pkce(
    browser, client, operator_person, client_secrets
):
    request = browser.request(
        client_id="iqea-legacy", code_challenge=None, code_challenge_method=None
    )
    code = browser.authorize(operator_person, request)["code"]
    response = redeem(client, request, code, client_secrets["iqea-legacy"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id_token"]


def test_a_client_that_opted_out_but_sends_a_challenge_must_prove_it(
    browser, client, operator_person, client_secrets
):
    request = browser.request(client_id="iqea-legacy")
    code = browser.authorize(operator_person, request)["code"]
    secret = client_secrets["iqea-legacy"]
    missing = redeem(client, request, code, secret)
    assert missing.status_code == 400
    assert missing.get_json()["error"] == "invalid_request"
    response = redeem(client, request, code, secret, code_verifier=request.verifier)
    assert response.status_code == 200, response.get_data(as_text=True)
