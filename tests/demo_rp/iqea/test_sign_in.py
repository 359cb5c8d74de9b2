"""Signing in to IQEA through the live provider: the code flow, what the site checks and shows."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from demo_rp.iqea.keys import CLIENT_KEY_FILE
from tests.demo_rp.iqea.conftest import Visitor, site_key_pem
from tests.oidc.live_server import LiveServer


def auth_of(visitor: Visitor) -> dict[str, Any]:
    with visitor.client.session_transaction() as session:
        auth: dict[str, Any] = dict(session)["auth"]
    return auth


def test_home_page_offers_to_sign_in_with_clicsequr(site_client: Any) -> None:
    page = site_client.get("/")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Se connecter avec clicSÉQUR" in html
    assert (
        "Ministère de l&#39;Environnement, de la Lutte contre les changements climatiques, "
        "de la Faune et des Parcs" in html
    )
    assert "Inventaire québécois des émissions atmosphériques (IQEA)" in html
    assert "iqea_session" not in page.headers.get("Set-Cookie", "")  # no session for a visit


def test_authorization_request_uses_pkce_state_nonce_and_the_registered_uri(
    site_client: Any, provider: LiveServer, site_url: str
) -> None:
    start = site_client.get("/auth/connexion")

    location = start.headers["Location"]
    assert location.startswith(f"{provider.url}/oidc/authorize?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == "iqea"
    assert params["redirect_uri"] == f"{site_url}/auth/callback"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["state"]
    assert params["nonce"]
    assert params["scope"].split() == [
        "openid",
        "profile",
        "email",
        "enterprise",
        "melccfp.iqea.operator",
        "melccfp.iqea.verifier",
    ]
    assert params["ui_locales"] == "fr-CA"


def test_operator_signs_in_and_sees_who_and_for_whom(
    operator: Visitor, provider: LiveServer, site: Any, world: Any
) -> None:
    page = operator.sign_in()

    html = page.get_data(as_text=True)
    assert "Bonjour, Jean Roy" in html
    assert "Aciérie Saint-Laurent inc." in html
    assert world.emitter.neq in html
    assert "Utilisateur" in html
    assert "Procuration interne no" in html
    assert "Identification de l&#39;exploitant" in html
    assert "Déclarer les émissions atmosphériques" in html
    assert "pour le compte de" not in html  # an internal proxy: no agent
    # private_key_jwt: the provider fetched the site's registered jwks_uri to check it.
    assert ("GET", "/.well-known/jwks.json") in site.extensions["test.live_server"].requests
    assert ("POST", "/oidc/token") in provider.requests
    assert ("GET", "/oidc/userinfo") in provider.requests


def test_session_is_kept_on_the_server_behind_iqea_session(operator: Visitor) -> None:
    operator.sign_in()

    auth = auth_of(operator)
    cookie = operator.client.get_cookie("iqea_session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert auth["id_token"] not in cookie.value
    assert len(cookie.value) < 64
    assert auth["sid"]
    assert auth["sub"] == auth["id_token_claims"]["sub"]
    assert auth["refresh_token"]
    assert auth["access_token"]
    assert auth["userinfo"]["sub"] == auth["sub"]
    assert auth["claims"]["enterprise"]["name"] == "Aciérie Saint-Laurent inc."


def test_id_token_was_issued_to_iqea_for_this_sign_in(
    operator: Visitor, provider: LiveServer
) -> None:
    operator.sign_in()

    auth = auth_of(operator)
    keys = KeySet.import_key_set(
        requests.get(f"{provider.url}/.well-known/jwks.json", timeout=5).json()
    )
    token = jwt.decode(auth["id_token"], keys)
    assert token.claims["iss"] == provider.url
    assert token.claims["aud"] == "iqea"
    assert token.claims["sid"] == auth["sid"]
    assert token.claims["nonce"]


def test_a_callback_with_another_state_is_refused(operator: Visitor, site_url: str) -> None:
    operator.client.get("/")
    start = operator.client.get("/auth/connexion")
    callback_url = operator.browser.authorize(start.headers["Location"], operator.person)
    parts = urlsplit(callback_url)
    forged = parts.query.replace("state=", "state=x")

    response = operator.client.get(f"{parts.path}?{forged}")

    assert response.status_code == 400
    assert "La connexion n&#39;a pas abouti" in response.get_data(as_text=True)
    assert "Se connecter avec clicSÉQUR" in operator.client.get("/").get_data(as_text=True)


def test_a_callback_from_another_issuer_is_refused(operator: Visitor) -> None:
    start = operator.client.get("/auth/connexion")
    callback_url = operator.browser.authorize(start.headers["Location"], operator.person)
    parts = urlsplit(callback_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["iss"] = "https://attacker.example"
    forged = "&".join(f"{k}={requests.utils.quote(v, safe='')}" for k, v in query.items())

    response = operator.client.get(f"{parts.path}?{forged}")

    assert response.status_code == 400
    assert "Se connecter de nouveau" in response.get_data(as_text=True)


def test_access_denied_by_the_provider_says_what_to_ask_for(site_client: Any) -> None:
    start = site_client.get("/auth/connexion")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]

    response = site_client.get(f"/auth/callback?error=access_denied&state={state}")

    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Accès refusé par clicSÉQUR" in html
    assert "responsable des services électroniques" in html


def test_site_publishes_its_public_key_only(site_client: Any) -> None:
    response = site_client.get("/.well-known/jwks.json")

    jwks = response.get_json()
    assert response.status_code == 200
    [key] = jwks["keys"]
    private = RSAKey.import_key(site_key_pem())
    assert key["n"] == private.as_dict(private=False)["n"]
    assert key["kid"] == private.thumbprint()
    assert "d" not in key
    assert "p" not in key
    assert key["use"] == "sig"
    assert key["alg"] == "RS256"


def test_key_pair_is_made_on_first_run(tmp_path: Any) -> None:
    from demo_rp.iqea import create_app

    instance = tmp_path / "fresh"
    app = create_app({"IQEA_INSTANCE_DIR": instance, "TESTING": True})

    key_file = instance / CLIENT_KEY_FILE
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    assert jwks["keys"][0]["kid"] == RSAKey.import_key(key_file.read_bytes()).thumbprint()
    # A second start keeps the same key.
    again = create_app({"IQEA_INSTANCE_DIR": instance, "TESTING": True})
    assert again.test_client().get("/.well-known/jwks.json").get_json() == jwks
