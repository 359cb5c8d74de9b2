"""Signing in to the pesticide site: the request it makes, what it checks in the provider's
answer, and the ID tokens it refuses (the provider is a stand-in, see conftest)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import ECKey

from demo_rp.pesticides import create_app
from demo_rp.pesticides.config import CLIENT_KEY_FILE
from tests.demo_rp.pesticides.conftest import (
    CITIZEN,
    ISSUER,
    SITE_URL,
    ProviderStandIn,
    Visitor,
)


def signed_in(visitor: Visitor) -> bool:
    html = visitor.client.get("/", follow_redirects=True).get_data(as_text=True)
    return "Se déconnecter" in html and "Accéder au service" not in html.split("<main")[1]


def test_authorization_request_uses_pkce_state_nonce_and_asks_no_enterprise(
    visitor: Visitor,
) -> None:
    params = visitor.start().params

    assert params["response_type"] == "code"
    assert params["client_id"] == "pesticides"
    assert params["redirect_uri"] == f"{SITE_URL}/auth/callback"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["state"]
    assert params["nonce"]
    assert params["scope"].split() == ["openid", "profile", "email"]
    assert params["ui_locales"] == "fr-CA"


def test_authorization_request_in_english(visitor: Visitor) -> None:
    visitor.client.get("/langue/en")

    assert visitor.start().params["ui_locales"] == "en-CA"


def test_citizen_signs_in_and_lands_on_my_applications(
    visitor: Visitor, provider: ProviderStandIn
) -> None:
    callback = visitor.sign_in()

    assert callback.status_code == 302
    assert callback.headers["Location"] == "/"
    home = visitor.client.get("/")
    assert home.status_code == 302
    assert home.headers["Location"] == "/demandes"
    html = visitor.client.get("/demandes").get_data(as_text=True)
    assert "Mes demandes" in html
    assert "Bonjour, Gabrielle Fortin." in html
    assert "Se déconnecter" in html
    # private_key_jwt with the site's P-256 key, checked by the stand-in.
    [assertion] = provider.assertions
    assert assertion["iss"] == "pesticides"


def test_session_holds_the_citizen_claims_and_no_enterprise(visitor: Visitor) -> None:
    visitor.sign_in()

    auth = visitor.auth()
    cookie = visitor.client.get_cookie("pesticides_session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert auth["id_token"] not in cookie.value
    assert auth["sub"] == CITIZEN["sub"]
    assert auth["sid"]
    assert auth["refresh_token"]
    for claim in ("name", "given_name", "family_name", "email", "email_verified"):
        assert auth["claims"][claim] == CITIZEN[claim]
    assert "enterprise" not in auth["claims"]
    assert "rights" not in auth["claims"]
    assert auth["userinfo"]["sub"] == auth["sub"]


@pytest.mark.parametrize(
    ("lang", "title", "text"),
    [
        ("fr", "Ce service est réservé aux citoyens", "agit pour une entreprise"),
        ("en", "This service is for citizens only", "a person acting for a business"),
    ],
)
def test_id_token_carrying_an_enterprise_is_refused(
    lang: str, title: str, text: str, visitor: Visitor, provider: ProviderStandIn
) -> None:
    visitor.client.get(f"/langue/{lang}")
    provider.id_token_changes = {"enterprise": {"neq": "1143256789", "name": "Aciérie inc."}}

    response = visitor.sign_in()

    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert title in html
    assert text in html
    assert "Aciérie" not in html
    assert visitor.client.get("/demandes").status_code == 302  # not signed in


def test_userinfo_carrying_rights_is_refused(visitor: Visitor, provider: ProviderStandIn) -> None:
    provider.userinfo_changes = {"rights": ["melccfp.iqea.operator"]}

    response = visitor.sign_in()

    assert response.status_code == 403
    assert "Ce service est réservé aux citoyens" in response.get_data(as_text=True)
    assert not signed_in(visitor)


# name: (changes to the ID token's claims, None leaving one out; what the refusal names)
REFUSED_ID_TOKENS: dict[str, tuple[dict[str, Any], str]] = {
    "another_nonce": ({"nonce": "n-0S6_WzA2Mj"}, "'nonce'"),
    "without_nonce": ({"nonce": None}, "'nonce'"),
    "another_issuer": ({"iss": "https://attacker.example"}, "'iss'"),
    "another_audience": ({"aud": "iqea"}, "'aud'"),
    "expired": ({"exp": -3600, "iat": -7200}, "expired"),
    "without_sid": ({"sid": None}, "'sid'"),
    "another_at_hash": ({"at_hash": "dGhpcyBpcyBub3QgaXQ"}, "'at_hash'"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_ID_TOKENS))
def test_wrong_id_token_is_refused(
    case: str, visitor: Visitor, provider: ProviderStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    changes, named = REFUSED_ID_TOKENS[case]
    now = int(time.time())
    # Times are given from now.
    provider.id_token_changes = {
        name: now + value if name in {"exp", "iat"} else value for name, value in changes.items()
    }

    response = visitor.sign_in()

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "La connexion n&#39;a pas abouti" in html
    assert "Se connecter de nouveau" in html
    [refusal] = [r.getMessage() for r in caplog.records if "sign-in refused" in r.getMessage()]
    assert named in refusal
    assert not signed_in(visitor)


def test_id_token_signed_with_another_algorithm_than_registered_is_refused(
    visitor: Visitor, provider: ProviderStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    # Signed by the provider's published RSA key: valid, but not ES256 as registered.
    provider.id_token_header = {"alg": "RS256"}

    response = visitor.sign_in()

    assert response.status_code == 400
    assert "ID token signed with RS256, registered ES256" in caplog.text
    assert not signed_in(visitor)


def test_id_token_signed_by_an_unknown_key_is_refused(
    visitor: Visitor, provider: ProviderStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    provider.id_token_header = {"key": ECKey.generate_key("P-256", private=True)}

    response = visitor.sign_in()

    assert response.status_code == 400
    assert "bad_signature" in caplog.text
    assert not signed_in(visitor)


def test_a_callback_with_another_state_is_refused(visitor: Visitor) -> None:
    authorization = visitor.start()
    path = visitor.provider.callback_path(authorization, state="x" + authorization.state)

    response = visitor.client.get(path)

    assert response.status_code == 400
    assert "La connexion n&#39;a pas abouti" in response.get_data(as_text=True)
    assert not signed_in(visitor)


def test_a_callback_from_another_issuer_is_refused(visitor: Visitor) -> None:
    response = visitor.sign_in(iss="https://attacker.example")

    assert response.status_code == 400
    assert not signed_in(visitor)


def test_access_denied_by_the_provider(visitor: Visitor) -> None:
    authorization = visitor.start()

    response = visitor.client.get(
        f"/auth/callback?error=access_denied&state={authorization.state}&iss={ISSUER}"
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Accès refusé par clicSÉQUR" in html
    assert "la connexion a été annulée" in html


# -- the site's key ---------------------------------------------------------------------------


def test_site_publishes_its_es256_public_key_only(site: Any, client: Any) -> None:
    response = client.get("/.well-known/jwks.json")

    [key] = response.get_json()["keys"]
    private = ECKey.import_key((Path(site.instance_path) / CLIENT_KEY_FILE).read_bytes())
    assert response.status_code == 200
    assert key["kty"] == "EC"
    assert key["crv"] == "P-256"
    assert key["alg"] == "ES256"
    assert key["use"] == "sig"
    assert key["kid"] == private.thumbprint()
    assert (key["x"], key["y"]) == (private.as_dict()["x"], private.as_dict()["y"])
    assert "d" not in key
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_key_is_made_on_first_run_and_kept(tmp_path: Path) -> None:
    instance = tmp_path / "fresh"
    app = create_app({"PESTICIDES_INSTANCE_DIR": instance, "TESTING": True})

    key_file = instance / CLIENT_KEY_FILE
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    assert jwks["keys"][0]["kid"] == ECKey.import_key(key_file.read_bytes()).thumbprint()
    again = create_app({"PESTICIDES_INSTANCE_DIR": instance, "TESTING": True})
    assert again.test_client().get("/.well-known/jwks.json").get_json() == jwks


def test_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PESTICIDES_IDP_ISSUER", "https://idp.example/")
    monkeypatch.setenv("PESTICIDES_BASE_URL", "https://pesticides.example")
    monkeypatch.setenv("PESTICIDES_CLIENT_ID", "pesticides-test")
    monkeypatch.setenv("PESTICIDES_INSTANCE_DIR", str(tmp_path / "from-env"))

    app = create_app({"TESTING": True})

    assert app.config["PESTICIDES_IDP_ISSUER"] == "https://idp.example"
    assert app.config["PESTICIDES_CLIENT_ID"] == "pesticides-test"
    assert (tmp_path / "from-env" / CLIENT_KEY_FILE).exists()
    response = app.test_client().get("/")
    assert "form-action 'self' https://idp.example" in response.headers["Content-Security-Policy"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_authorization_redirect_carries_the_registered_callback(visitor: Visitor) -> None:
    location = visitor.client.get("/auth/connexion").headers["Location"]

    query = parse_qs(urlsplit(location).query)
    assert query["redirect_uri"] == ["http://localhost:5003/auth/callback"]
