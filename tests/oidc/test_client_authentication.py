"""Client authentication at the token endpoint (RFC 6749 2.3, OIDC Core 9, RFC 7523).

Each relying party authenticates with the one method it is registered for: a secret in the
``Authorization`` header or in the body, a signed assertion (``private_key_jwt``), or nothing
but PKCE for a public client. Forged, stale, replayed or misdirected assertions get
``invalid_client`` and no token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.oidc.conftest import (
    SPA_CALLBACK,
    AuthorizationRequest,
    basic_auth,
    client_key,
    exchange,
)

TOKEN_PATH = "/oidc/token"
ISSUER = "http://localhost"
TOKEN_URL = f"{ISSUER}{TOKEN_PATH}"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

_OTHER_KEY: RSAKey | None = None


def other_key() -> RSAKey:
    """An RSA key nobody registered, with the kid of iqea-jwt's (made once per run)."""
    global _OTHER_KEY
    if _OTHER_KEY is None:
        _OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "iqea-jwt-1"})
    return _OTHER_KEY


# -- helpers ------------------------------------------------------------------------------------


def authorize(browser: Any, person: Any, client_id: str = "iqea", **kw: Any) -> tuple[Any, str]:
    """An authorization request for the client and the code the person's consent produced."""
    request = browser.request(client_id=client_id, **kw)
    return request, browser.authorize(person, request)["code"]


def code_form(request: AuthorizationRequest, code: str, **extra: str | None) -> dict[str, str]:
    """The body of an authorization_code token request; ``None`` leaves a parameter out."""
    data: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.verifier,
        **extra,
    }
    return {k: v for k, v in data.items() if v is not None}


def post_token(client: Any, data: dict[str, str], headers: dict[str, str] | None = None) -> Any:
    return client.post(TOKEN_PATH, data=data, headers=headers or {})


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def assertion_claims(clock: Any, **changes: Any) -> dict[str, Any]:
    """Claims of a valid iqea-jwt assertion at the provider's time; ``None`` removes one."""
    now = int(clock().timestamp())
    claims: dict[str, Any] = {
        "iss": "iqea-jwt",
        "sub": "iqea-jwt",
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def signed_assertion(claims: dict[str, Any], key: RSAKey | None = None) -> str:
    signer = key or client_key()
    return jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer)


def unsigned_assertion(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "none"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def hmac_assertion(claims: dict[str, Any], secret: bytes) -> str:
    """HS256 with the client's *public* key as the shared secret (algorithm confusion)."""
    header = b64url(json.dumps({"alg": "HS256", "kid": "iqea-jwt-1", "typ": "JWT"}).encode())
    signing_input = f"{header}.{b64url(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def with_assertion(data: dict[str, str], assertion: str, client_id: str | None = "iqea-jwt"):
    body = {**data, "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    if client_id is not None:
        body["client_id"] = client_id
    return body


def assert_invalid_client(response: Any) -> None:
    assert response.status_code in (400, 401), response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "invalid_client", body
    assert "access_token" not in body
    assert "id_token" not in body


def assert_tokens(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"]
    return body


@pytest.fixture
def jwt_code(browser, operator_person) -> tuple[AuthorizationRequest, str]:
    """A code issued to iqea-jwt."""
    return authorize(browser, operator_person, "iqea-jwt")


# -- client secrets -----------------------------------------------------------------------------


def test_client_secret_basic(client, browser, operator_person, client_secrets):
    request, code = authorize(browser, operator_person)
    body = assert_tokens(exchange(client, request, code, client_secrets["iqea"]))
    assert body["id_token"]
    assert body["refresh_token"]


def test_wrong_secret_is_refused(client, browser, operator_person, client_secrets):
    request, code = authorize(browser, operator_person)
    response = exchange(client, request, code, client_secrets["iqea"] + "x")
    assert response.status_code == 401
    assert_invalid_client(response)
    assert response.headers["Cache-Control"] == "no-store"
    # The code was not spent by the failed attempt.
    assert_tokens(exchange(client, request, code, client_secrets["iqea"]))


def test_basic_client_cannot_send_its_secret_in_the_body(
    client, browser, operator_person, client_secrets
):
    request, code = authorize(browser, operator_person)
    data = code_form(request, code, client_id="iqea", client_secret=client_secrets["iqea"])
    assert_invalid_client(post_token(client, data))


def basic_header(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


# Authorization headers that are not Basic credentials (RFC 7617, RFC 6749 2.3.1).
MALFORMED_BASIC = {
    "not utf-8": basic_header(b"\xff\xfe:\xc3\x28"),
    "not utf-8 once percent-decoded": basic_header(b"iqea:%ff%fe"),
    "no colon": basic_header(b"iqea"),
    "not base64": {"Authorization": "Basic ***not-base64***"},
    "empty": {"Authorization": "Basic "},
    "nul byte": basic_header(b"iqea\x00:secret"),
    "1 MB": basic_header(b"x" * 1_000_000 + b":y"),
}


@pytest.mark.parametrize("headers", MALFORMED_BASIC.values(), ids=MALFORMED_BASIC.keys())
@pytest.mark.parametrize("path", [TOKEN_PATH, "/oidc/introspect", "/oidc/revoke"])
def test_malformed_basic_credentials_are_invalid_client(client, path, headers):
    """RFC 6749 5.2: 401, ``invalid_client``, and a challenge for the scheme the client used."""
    data = {"grant_type": "client_credentials", "token": "x"}
    response = client.post(path, data=data, headers=headers)
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert len(response.get_data()) < 1000


def test_basic_credentials_are_percent_decoded(client, browser, operator_person, client_secrets):
    """RFC 6749 2.3.1: the id and the secret are form-urlencoded before base64."""
    request, code = authorize(browser, operator_person)
    secret = "".join(f"%{byte:02X}" for byte in client_secrets["iqea"].encode())
    response = post_token(
        client, code_form(request, code), basic_header(f"iq%65a:{secret}".encode())
    )
    assert_tokens(response)


def test_client_secret_post(client, browser, operator_person, client_secrets):
    request, code = authorize(browser, operator_person, "iqea-post")
    data = code_form(
        request, code, client_id="iqea-post", client_secret=client_secrets["iqea-post"]
    )
    assert assert_tokens(post_token(client, data))["id_token"]


def test_post_client_cannot_use_basic(client, browser, operator_person, client_secrets):
    request, code = authorize(browser, operator_person, "iqea-post")
    response = exchange(client, request, code, client_secrets["iqea-post"])
    assert_invalid_client(response)


# -- public client ------------------------------------------------------------------------------


def test_public_client_with_pkce_only(client, browser, operator_person):
    request, code = authorize(browser, operator_person, "iqea-spa", redirect_uri=SPA_CALLBACK)
    body = assert_tokens(post_token(client, code_form(request, code, client_id="iqea-spa")))
    assert body["id_token"]


def test_public_client_without_verifier_is_refused(client, browser, operator_person):
    request, code = authorize(browser, operator_person, "iqea-spa", redirect_uri=SPA_CALLBACK)
    data = code_form(request, code, client_id="iqea-spa", code_verifier=None)
    response = post_token(client, data)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert "access_token" not in response.get_json()


def test_confidential_client_without_secret_is_refused(client, browser, operator_person):
    request, code = authorize(browser, operator_person)
    assert_invalid_client(post_token(client, code_form(request, code, client_id="iqea")))


# -- private_key_jwt ----------------------------------------------------------------------------


def test_private_key_jwt(client, jwt_code, clock, runtime):
    request, code = jwt_code
    data = with_assertion(code_form(request, code), signed_assertion(assertion_claims(clock)))
    body = assert_tokens(post_token(client, data))
    id_token = jwt.decode(body["id_token"], runtime.keystore.key_set(), algorithms=["ES256"])
    assert id_token.header["alg"] == "ES256"
    assert id_token.claims["aud"] == "iqea-jwt"


def test_private_key_jwt_for_the_issuer_audience(client, jwt_code, clock):
    request, code = jwt_code
    claims = assertion_claims(clock, aud=ISSUER)
    assert_tokens(
        post_token(client, with_assertion(code_form(request, code), signed_assertion(claims)))
    )


def test_private_key_jwt_without_client_id_parameter(client, jwt_code, clock):
    request, code = jwt_code
    assertion = signed_assertion(assertion_claims(clock))
    assert_tokens(post_token(client, with_assertion(code_form(request, code), assertion, None)))


def _public_pem() -> bytes:
    return client_key().as_pem(private=False)


def _public_json() -> bytes:
    return json.dumps(client_key().as_dict(private=False)).encode()


FORGED_ASSERTIONS = {
    "alg_none": lambda clock: unsigned_assertion(assertion_claims(clock)),
    "hs256_public_pem": lambda clock: hmac_assertion(assertion_claims(clock), _public_pem()),
    "hs256_public_jwk": lambda clock: hmac_assertion(assertion_claims(clock), _public_json()),
    "wrong_audience": lambda clock: signed_assertion(
        assertion_claims(clock, aud="https://elsewhere.example/oidc/token")
    ),
    "expired": lambda clock: signed_assertion(
        assertion_claims(
            clock,
            iat=int(clock().timestamp()) - 120,
            exp=int(clock().timestamp()) - 31,
        )
    ),
    "issued_in_the_future": lambda clock: signed_assertion(
        assertion_claims(
            clock,
            iat=int(clock().timestamp()) + 120,
            exp=int(clock().timestamp()) + 180,
        )
    ),
    "lives_too_long": lambda clock: signed_assertion(
        assertion_claims(clock, exp=int(clock().timestamp()) + 3601)
    ),
    "no_jti": lambda clock: signed_assertion(assertion_claims(clock, jti=None)),
    "issuer_is_not_subject": lambda clock: signed_assertion(assertion_claims(clock, iss="iqea")),
    "another_key": lambda clock: signed_assertion(assertion_claims(clock), other_key()),
}


@pytest.mark.parametrize("forge", FORGED_ASSERTIONS.values(), ids=FORGED_ASSERTIONS.keys())
def test_forged_or_stale_assertion_is_refused(client, jwt_code, clock, forge):
    request, code = jwt_code
    response = post_token(client, with_assertion(code_form(request, code), forge(clock)))
    assert_invalid_client(response)
    # The code is still there for the real client: nothing was issued from it.
    good = signed_assertion(assertion_claims(clock))
    assert_tokens(post_token(client, with_assertion(code_form(request, code), good)))


def test_assertion_within_the_clock_leeway_is_accepted(client, jwt_code, clock):
    request, code = jwt_code
    now = int(clock().timestamp())
    claims = assertion_claims(clock, iat=now - 60, exp=now - 20)
    assert_tokens(
        post_token(client, with_assertion(code_form(request, code), signed_assertion(claims)))
    )


def test_replayed_assertion_is_refused(client, jwt_code, clock):
    request, code = jwt_code
    assertion = signed_assertion(assertion_claims(clock))
    first = assert_tokens(post_token(client, with_assertion(code_form(request, code), assertion)))
    again = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert_invalid_client(post_token(client, with_assertion(again, assertion)))
    fresh = signed_assertion(assertion_claims(clock))
    assert_tokens(post_token(client, with_assertion(again, fresh)))


def test_assertion_for_another_client_id_is_refused(client, jwt_code, clock):
    request, code = jwt_code
    assertion = signed_assertion(assertion_claims(clock))
    data = with_assertion(code_form(request, code), assertion, client_id="iqea")
    assert_invalid_client(post_token(client, data))


def test_assertion_cannot_authenticate_a_secret_client(client, browser, operator_person, clock):
    """A key-holder cannot pass for a client registered with a secret (sub = iqea)."""
    request, code = authorize(browser, operator_person)
    assertion = signed_assertion(assertion_claims(clock, iss="iqea", sub="iqea"))
    data = with_assertion(code_form(request, code), assertion, client_id="iqea")
    assert_invalid_client(post_token(client, data))


def test_jwt_client_cannot_use_a_secret(client, jwt_code):
    request, code = jwt_code
    assert_invalid_client(exchange(client, request, code, "not-a-secret"))
    assert_invalid_client(post_token(client, code_form(request, code, client_id="iqea-jwt")))


# -- client_credentials -------------------------------------------------------------------------


def batch_token(client: Any, client_secrets: Any, **extra: str) -> Any:
    data = {"grant_type": "client_credentials", **extra}
    headers = basic_auth("melccfp-batch", client_secrets["melccfp-batch"])
    return post_token(client, data, headers)


def test_client_credentials(client, client_secrets, runtime, clock):
    body = assert_tokens(batch_token(client, client_secrets))
    assert "refresh_token" not in body
    assert "id_token" not in body
    token = jwt.decode(
        body["access_token"], KeySet.import_key_set(runtime.keystore.jwks()), algorithms=["RS256"]
    )
    assert token.header["typ"] == "at+jwt"
    claims = token.claims
    assert claims["sub"] == "melccfp-batch"
    assert claims["client_id"] == "melccfp-batch"
    assert claims["aud"] == "melccfp-batch"
    assert claims["iat"] == int(clock().timestamp())
    assert "authorization_details" not in claims


def test_client_credentials_with_openid_scope_is_refused(client, client_secrets):
    response = batch_token(client, client_secrets, scope="openid")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_scope"
    assert "access_token" not in response.get_json()


def test_client_credentials_for_a_client_without_that_grant(client, client_secrets):
    data = {"grant_type": "client_credentials"}
    response = post_token(client, data, basic_auth("iqea", client_secrets["iqea"]))
    assert response.status_code == 400
    assert response.get_json()["error"] == "unauthorized_client"
    assert "access_token" not in response.get_json()


def test_client_credentials_with_a_wrong_secret(client, client_secrets):
    data = {"grant_type": "client_credentials"}
    response = post_token(client, data, basic_auth("melccfp-batch", "wrong"))
    assert response.status_code == 401
    assert_invalid_client(response)
