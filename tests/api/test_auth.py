"""Who may call the API: a ministry back-end's own valid token, with the scope of the route,
for its own ministry; and no more than IDP_API_CLIENT_LIMIT requests a client."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.api.conftest import (
    access_token,
    assert_problem,
    bearer,
    jwt_manager_token,
    openapi_document,
    token_response,
)
from tests.oidc.conftest import basic_auth

REGISTRATIONS = "/api/v1/ministries/melccfp/registrations"
AUDIT = "/api/v1/ministries/melccfp/audit-events"


def challenge(response) -> str:
    return str(response.headers.get("WWW-Authenticate", ""))


def test_a_managers_token_lists_the_registrations(client, client_secrets):
    answer = client.get(REGISTRATIONS, headers=bearer(access_token(client, client_secrets)))
    assert answer.status_code == 200
    assert answer.get_json() == {"registrations": []}
    assert "Set-Cookie" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_private_key_jwt_client_gets_its_token_too(client, clock):
    token = jwt_manager_token(client, clock, "management:melccfp:registrations")
    assert client.get(REGISTRATIONS, headers=bearer(token)).status_code == 200


def test_no_token_is_401_with_a_bare_bearer_challenge(client):
    answer = client.get(REGISTRATIONS)
    assert_problem(answer, 401, "missing_token", openapi_document(client))
    assert challenge(answer) == 'Bearer realm="clicsequr"'


@pytest.mark.parametrize(
    "header",
    [
        "Basic bWVsY2NmcC1tYW5hZ2VyOnNlY3JldA==",
        "Bearer",
        "Bearer    ",
        "token abc",
    ],
)
def test_another_scheme_or_an_empty_token_is_401(client, header):
    answer = client.get(REGISTRATIONS, headers={"Authorization": header})
    assert_problem(answer, 401, "missing_token")
    assert challenge(answer).startswith("Bearer ")


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "a.b.c", "x" * 5000, "eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0."],
)
def test_a_token_that_is_not_ours_is_401_invalid_token(client, token):
    answer = client.get(REGISTRATIONS, headers=bearer(token))
    assert_problem(answer, 401, "invalid_token")
    assert 'error="invalid_token"' in challenge(answer)


def test_a_token_signed_by_another_key_is_refused(client, client_secrets, runtime):
    real = jwt.decode(access_token(client, client_secrets), runtime.keystore.key_set())
    forger = RSAKey.generate_key(2048, parameters={"kid": real.header["kid"]})
    forged = jwt.encode(dict(real.header), dict(real.claims), forger)
    assert_problem(client.get(REGISTRATIONS, headers=bearer(forged)), 401, "invalid_token")


def test_an_expired_token_is_refused(client, client_secrets, clock):
    token = access_token(client, client_secrets)
    clock.advance(seconds=601)
    answer = client.get(REGISTRATIONS, headers=bearer(token))
    assert_problem(answer, 401, "invalid_token")
    assert "expired" in answer.get_json()["detail"]


def test_a_revoked_token_is_refused(client, client_secrets):
    token = access_token(client, client_secrets)
    revoked = client.post(
        "/oidc/revoke",
        data={"token": token, "token_type_hint": "access_token"},
        headers=basic_auth("melccfp-manager", client_secrets["melccfp-manager"]),
    )
    assert revoked.status_code == 200
    assert_problem(client.get(REGISTRATIONS, headers=bearer(token)), 401, "invalid_token")


def test_a_persons_access_token_is_refused(client, browser, operator_person, client_secrets):
    from tests.oidc.test_token import sign_in_tokens

    person = sign_in_tokens(client, browser, operator_person, client_secrets)["access_token"]
    assert_problem(client.get(REGISTRATIONS, headers=bearer(person)), 401, "invalid_token")


def test_a_token_without_the_routes_scope_is_403_insufficient_scope(client, client_secrets):
    token = access_token(client, client_secrets, scope="management:melccfp:audit")
    assert client.get(AUDIT, headers=bearer(token)).status_code == 200
    answer = client.get(REGISTRATIONS, headers=bearer(token))
    assert_problem(answer, 403, "insufficient_scope", openapi_document(client))
    assert 'error="insufficient_scope"' in challenge(answer)
    assert 'scope="management:melccfp:registrations"' in challenge(answer)


def test_a_back_end_without_management_scopes_gets_403(client, client_secrets):
    token = access_token(client, client_secrets, "melccfp-batch", scope="")
    assert_problem(client.get(REGISTRATIONS, headers=bearer(token)), 403, "insufficient_scope")


def test_another_ministrys_token_is_403_whatever_the_path_names(client, client_secrets):
    amf = bearer(access_token(client, client_secrets, "amf-manager"))
    for path in (REGISTRATIONS, AUDIT, "/api/v1/ministries/nowhere/registrations"):
        assert_problem(client.get(path, headers=amf), 403, "other_ministry")
    assert client.get("/api/v1/ministries/amf/registrations", headers=amf).status_code == 200


def test_the_token_endpoint_gives_only_registered_management_scopes(client, client_secrets):
    for scope in (
        "management:amf:registrations",
        "management:melccfp:registrations openid",
        "management:melccfp:everything",
    ):
        answer = token_response(client, client_secrets, "melccfp-manager", scope)
        assert answer.status_code == 400
        assert answer.get_json()["error"] == "invalid_scope"
    answer = token_response(
        client, client_secrets, "melccfp-manager", "management:melccfp:audit " * 2
    )
    assert answer.get_json()["scope"] == "management:melccfp:audit"
