"""The published key set: what relying parties verify signatures with."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet


def test_jwks_publishes_current_and_next_public_keys(client, runtime):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    keys = response.get_json()["keys"]
    kids = {key["kid"] for key in keys}
    store = runtime.keystore
    assert {store.current("RSA").kid, store.next("RSA").kid, store.current("EC").kid} <= kids
    for key in keys:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_a_token_signed_by_the_provider_verifies_with_the_published_set(client, runtime):
    entry = runtime.keystore.signing_key("RS256")
    token = jwt.encode(
        {"alg": "RS256", "kid": entry.kid}, {"iss": "x"}, entry.key, algorithms=["RS256"]
    )
    published = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    assert jwt.decode(token, published, algorithms=["RS256"]).claims == {"iss": "x"}


def test_pages_stay_no_store(client):
    assert client.get("/connexion").headers["Cache-Control"] == "no-store"
