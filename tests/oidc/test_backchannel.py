"""Back-channel logout tokens (OIDC Back-Channel Logout 1.0 sections 2.4 and 2.5)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests
import responses
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.oidc.backchannel import BACKCHANNEL_LOGOUT_EVENT, deliver, logout_token
from idp.relying_parties import OidcClient

URI = "https://iqea.example.gouv.qc.ca/backchannel-logout"


def client(**overrides) -> OidcClient:
    fields = {
        "kind": "oidc",
        "client_id": "iqea",
        "ministry": "melccfp",
        "name_fr": "IQEA",
        "name_en": "IQEA",
        "redirect_uris": ["https://iqea.example.gouv.qc.ca/cb"],
        "backchannel_logout_uri": URI,
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": []},
    }
    fields.update(overrides)
    return OidcClient.model_validate(fields)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256"])
def test_logout_token_claims_and_signature(runtime, alg):
    token = logout_token(
        runtime, client(id_token_signed_response_alg=alg), subject="pairwise-sub", sid="session-42"
    )
    published = KeySet.import_key_set(runtime.keystore.jwks())
    decoded = jwt.decode(token, published, algorithms=[alg])
    assert decoded.header["typ"] == "logout+jwt"
    assert decoded.header["kid"] == runtime.keystore.signing_key(alg).kid
    claims = decoded.claims
    assert claims["iss"] == runtime.settings.issuer
    assert (claims["aud"], claims["sub"], claims["sid"]) == ("iqea", "pairwise-sub", "session-42")
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
    assert "nonce" not in claims
    assert 0 < claims["exp"] - claims["iat"] <= 120
    assert claims["jti"]
    other = logout_token(runtime, client(), subject="pairwise-sub", sid="session-42")
    assert jwt.decode(other, published).claims["jti"] != claims["jti"]


@responses.activate
@pytest.mark.parametrize(
    ("status", "delivered"), [(200, True), (204, True), (400, False), (302, False), (500, False)]
)
def test_delivery_posts_the_token_form_encoded(status, delivered):
    responses.post(URI, status=status, headers={"Location": "https://elsewhere.example/"})
    result = deliver("the.logout.token", client())
    assert result.delivered is delivered
    [call] = responses.calls
    assert parse_qs(call.request.body) == {"logout_token": ["the.logout.token"]}
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert len(responses.calls) == 1  # a redirect is never followed


@responses.activate
def test_delivery_failure_is_reported_not_raised():
    responses.post(URI, body=requests.ConnectionError("refused"))
    result = deliver("the.logout.token", client())
    assert (result.delivered, result.detail) == (False, "ConnectionError")


def test_client_without_backchannel_uri_is_skipped():
    result = deliver("t", client(backchannel_logout_uri=None))
    assert result.delivered is False
