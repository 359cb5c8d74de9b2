"""Discovery (OpenID Connect Discovery 1.0, RFC 8414) and the published key set.

Relying parties configure themselves from these documents: every value must be true of the
provider (each endpoint answers, each listed right exists), and the document must pass
authlib's own validator, as a relying party built on authlib would run it. Both the default
test issuer (loopback, http) and a production-like https issuer are checked.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata

from tests.conftest import ROOT

OIDC_DISCOVERY = "/.well-known/openid-configuration"
OAUTH_DISCOVERY = "/.well-known/oauth-authorization-server"
DOCUMENTS = [OIDC_DISCOVERY, OAUTH_DISCOVERY]
ISSUERS = ["http://localhost", "https://idp.example.gouv.qc.ca"]
STANDARD_SCOPES = {"openid", "profile", "email", "enterprise", "offline_access"}
AUTH_METHODS = {"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}
ENDPOINTS = [
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "revocation_endpoint",
    "introspection_endpoint",
    "end_session_endpoint",
]


@pytest.fixture(params=ISSUERS, ids=["loopback", "https"])
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    app_config["issuer"] = request.param
    return app_config


# -- helpers -----------------------------------------------------------------------------------


def document(client: Any, path: str = OIDC_DISCOVERY) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def path_of(url: str, issuer: str) -> str:
    """The path of an endpoint URL, which must sit under the issuer."""
    assert url.startswith(issuer + "/"), url
    parts = urlsplit(url)
    assert not parts.query, url
    assert not parts.fragment, url
    return parts.path


def catalogue_right_ids() -> set[str]:
    """Every right id of config/catalogue.toml, read straight from the file."""
    with (Path(ROOT) / "config" / "catalogue.toml").open("rb") as handle:
        data = tomllib.load(handle)
    return {
        right["id"]
        for ministry in data["ministries"]
        for service in ministry.get("services", [])
        for right in service.get("rights", [])
    }


def assert_json_oauth_error(response: Any) -> None:
    assert response.status_code in (400, 401), response.status_code
    assert response.mimetype == "application/json"
    assert isinstance(response.get_json().get("error"), str)


# -- the documents -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", DOCUMENTS)
def test_issuer_and_headers(client, runtime, path):
    response = client.get(path)
    assert response.status_code == 200
    cache = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert "public" in cache
    assert any(part.startswith("max-age=") and int(part[8:]) > 0 for part in cache)
    assert "no-store" not in cache
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["issuer"] == runtime.settings.issuer


def test_both_addresses_serve_the_same_document(client):
    assert document(client, OIDC_DISCOVERY) == document(client, OAUTH_DISCOVERY)


@pytest.mark.parametrize("path", DOCUMENTS)
def test_advertised_capabilities(client, path):
    doc = document(client, path)
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["subject_types_supported"] == ["pairwise"]
    assert {"RS256", "ES256", "PS256"} <= set(doc["id_token_signing_alg_values_supported"])
    assert "none" not in doc["id_token_signing_alg_values_supported"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == AUTH_METHODS
    assert doc["backchannel_logout_supported"] is True
    assert doc["backchannel_logout_session_supported"] is True
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["authorization_details_types_supported"] == ["clicsequr_rights"]
    assert "implicit" not in doc["grant_types_supported"]


def test_scopes_are_the_standard_ones_and_every_right_of_the_catalogue(client, runtime):
    scopes = document(client)["scopes_supported"]
    assert len(scopes) == len(set(scopes))
    rights = {right.id for ministry in runtime.catalogue.ministries for right in ministry.rights}
    assert rights == catalogue_right_ids()  # the app reads config/catalogue.toml
    assert {"melccfp.iqea.operator", "amf.payments"} <= rights
    assert set(scopes) >= STANDARD_SCOPES
    assert rights <= set(scopes)
    assert set(scopes) == STANDARD_SCOPES | rights


@pytest.mark.parametrize("path", DOCUMENTS)
def test_every_endpoint_is_under_the_issuer_and_answers(client, runtime, path):
    doc = document(client, path)
    issuer = runtime.settings.issuer
    paths = {name: path_of(doc[name], issuer) for name in ENDPOINTS}

    keys = client.get(paths["jwks_uri"])
    assert keys.status_code == 200
    assert keys.get_json()["keys"]
    assert_json_oauth_error(client.post(paths["token_endpoint"]))
    assert_json_oauth_error(client.post(paths["revocation_endpoint"]))
    assert_json_oauth_error(client.post(paths["introspection_endpoint"]))
    userinfo = client.get(paths["userinfo_endpoint"])
    assert userinfo.status_code == 401
    assert userinfo.headers["WWW-Authenticate"].startswith("Bearer")
    # Without parameters the authorization endpoint refuses on a page, never by a redirect.
    authorize = client.get(paths["authorization_endpoint"])
    assert authorize.status_code == 400
    assert "Location" not in authorize.headers
    assert client.get(paths["end_session_endpoint"], follow_redirects=True).status_code == 200


@pytest.mark.parametrize("path", DOCUMENTS)
def test_document_passes_authlib_openid_validation(client, path):
    OpenIDProviderMetadata(document(client, path)).validate()


@pytest.mark.parametrize("path", DOCUMENTS)
def test_document_passes_authlib_rfc8414_validation(client, path):
    """RFC 8414 section 2: where ``private_key_jwt`` is an authentication method of an endpoint,
    the matching ``..._auth_signing_alg_values_supported`` MUST be present."""
    doc = document(client, path)
    missing = [
        f"{endpoint}_auth_signing_alg_values_supported"
        for endpoint in ("token_endpoint", "revocation_endpoint", "introspection_endpoint")
        if "private_key_jwt" in doc.get(f"{endpoint}_auth_methods_supported", [])
        and not doc.get(f"{endpoint}_auth_signing_alg_values_supported")
    ]
    assert missing == []
    AuthorizationServerMetadata(doc).validate()


# -- the key set -------------------------------------------------------------------------------


def test_jwks_has_current_and_next_keys_and_no_private_member(client, runtime):
    doc = document(client)
    response = client.get(path_of(doc["jwks_uri"], runtime.settings.issuer))
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    keys = response.get_json()["keys"]
    kids = [key["kid"] for key in keys]
    assert len(kids) == len(set(kids))
    store = runtime.keystore
    expected = {store.current("RSA").kid, store.current("EC").kid}
    for kty in ("RSA", "EC"):
        upcoming = store.next(kty)
        assert upcoming is not None, f"no next {kty} key published ahead of rotation"
        expected.add(upcoming.kid)
    assert expected <= set(kids)
    assert set(kids) == {entry.kid for entry in store.published()}
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key), key["kid"]
        assert key["use"] == "sig"
        assert key["kty"] in {"RSA", "EC"}
