"""Keeping the session alive (refresh), and ending it: back-channel logout and sign-out."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from joserfc.jwk import ECKey

from demo_rp.pesticides.extensions import services
from tests.demo_rp.pesticides.conftest import (
    ACCESS_TOKEN_LIFETIME_SECONDS,
    ISSUER,
    SITE_URL,
    ProviderStandIn,
    SiteClock,
    Visitor,
)


def signed_in(visitor: Visitor) -> bool:
    response = visitor.client.get("/demandes")
    return response.status_code == 200 and "Se déconnecter" in response.get_data(as_text=True)


def sessions_of(site: Flask, sid: str) -> int:
    with site.app_context(), services().database.connect() as db:
        return int(db.execute("SELECT COUNT(*) FROM sessions WHERE sid = ?", (sid,)).fetchone()[0])


# -- refresh ----------------------------------------------------------------------------------


def test_expired_access_token_is_renewed_and_claims_read_again(
    citizen: Visitor, provider: ProviderStandIn, site_clock: SiteClock
) -> None:
    before = citizen.auth()
    provider.citizen["name"] = "Gabrielle Fortin-Roy"  # changed at the provider meanwhile

    site_clock.advance(seconds=ACCESS_TOKEN_LIFETIME_SECONDS + 1)
    page = citizen.client.get("/demandes")

    assert page.status_code == 200
    assert "Bonjour, Gabrielle Fortin-Roy." in page.get_data(as_text=True)
    after = citizen.auth()
    assert after["refresh_token"] != before["refresh_token"]  # rotated, the new one kept
    assert after["access_token"] != before["access_token"]
    assert after["id_token"] == before["id_token"]  # kept for the logout hint
    assert after["refreshed_at"] is not None
    assert "rights" not in after["claims"]
    assert [r["grant_type"] for r in provider.token_requests] == [
        "authorization_code",
        "refresh_token",
    ]


def test_refused_refresh_ends_the_session(
    citizen: Visitor, provider: ProviderStandIn, site_clock: SiteClock
) -> None:
    provider.refused_refresh = True

    site_clock.advance(seconds=ACCESS_TOKEN_LIFETIME_SECONDS + 1)
    response = citizen.client.get("/demandes")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = citizen.client.get("/").get_data(as_text=True)
    assert "Votre session a pris fin. Connectez-vous de nouveau pour continuer." in home
    assert not signed_in(citizen)


def test_an_enterprise_in_userinfo_at_renewal_ends_the_session(
    citizen: Visitor, provider: ProviderStandIn, site_clock: SiteClock
) -> None:
    provider.userinfo_changes = {"enterprise": {"neq": "1143256789", "name": "Aciérie inc."}}

    site_clock.advance(seconds=ACCESS_TOKEN_LIFETIME_SECONDS + 1)

    assert citizen.client.get("/demandes").status_code == 302
    assert not signed_in(citizen)


def test_a_session_idle_too_long_ends(citizen: Visitor, site_clock: SiteClock) -> None:
    site_clock.advance(minutes=31)

    assert not signed_in(citizen)


# -- back-channel logout ----------------------------------------------------------------------


def test_logout_token_ends_every_site_session_of_that_sid(
    citizen: Visitor, provider: ProviderStandIn, site: Flask
) -> None:
    sid = citizen.auth()["sid"]
    assert sessions_of(site, sid) == 1

    response = site.test_client().post(
        "/auth/backchannel-logout", data={"logout_token": provider.logout_token()}
    )

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert sessions_of(site, sid) == 0
    assert not signed_in(citizen)


# name: (claims changed, header changed, what the refusal names)
FORGERIES: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "another_key": ({}, {"key": "other"}, "signature"),
    "another_issuer": ({"iss": "https://attacker.example"}, {}, "iss"),
    "another_audience": ({"aud": "iqea"}, {}, "aud"),
    "with_a_nonce": ({"nonce": "n-0S6_WzA2Mj"}, {}, "nonce"),
    "without_events": ({"events": None}, {}, "events"),
    "another_event": ({"events": {"http://schemas.openid.net/event/x": {}}}, {}, "events"),
    "without_sid": ({"sid": None}, {}, "sid"),
    "without_jti": ({"jti": None}, {}, "jti"),
    "too_old": ({"iat": -3600}, {}, "iat"),
    "not_a_logout_token": ({}, {"typ": "JWT"}, "typ"),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_logout_token_is_refused(
    forgery: str, citizen: Visitor, provider: ProviderStandIn, site: Flask
) -> None:
    changes, header, named = FORGERIES[forgery]
    if "iat" in changes:
        changes = {**changes, "iat": int(time.time()) + changes["iat"]}
    if header.get("key") == "other":
        header = {"key": ECKey.generate_key("P-256", private=True)}

    response = site.test_client().post(
        "/auth/backchannel-logout",
        data={"logout_token": provider.logout_token(header=dict(header), **changes)},
    )

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert named in response.get_json()["error_description"]
    assert signed_in(citizen)


def test_a_logout_token_is_used_once(
    citizen: Visitor, provider: ProviderStandIn, site: Flask
) -> None:
    token = provider.logout_token()
    client = site.test_client()

    assert client.post("/auth/backchannel-logout", data={"logout_token": token}).status_code == 200
    replay = client.post("/auth/backchannel-logout", data={"logout_token": token})

    assert replay.status_code == 400
    assert "already used" in replay.get_json()["error_description"]


# -- signing out ------------------------------------------------------------------------------


def test_sign_out_goes_to_the_provider_with_the_id_token_hint(citizen: Visitor) -> None:
    id_token = citizen.auth()["id_token"]

    response = citizen.form("/deconnexion", {}, page="/demandes")

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{ISSUER}/oidc/logout?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == f"{SITE_URL}/"
    assert params["state"]
    assert params["ui_locales"] == "fr-CA"
    assert not signed_in(citizen)

    # The provider sends the person back with the state: the site says they are signed out.
    landing = citizen.client.get(f"/?state={params['state']}")
    assert landing.status_code == 302
    assert landing.headers["Location"] == "/"
    home = citizen.client.get("/").get_data(as_text=True)
    assert "Vous êtes déconnecté du service et de clicSÉQUR." in home
    assert "Accéder au service" in home


def test_a_return_with_another_state_says_nothing(citizen: Visitor) -> None:
    citizen.form("/deconnexion", {}, page="/demandes")

    home = citizen.client.get("/?state=not-ours").get_data(as_text=True)

    assert "Vous êtes déconnecté" not in home


def test_sign_out_without_csrf_token_is_refused(citizen: Visitor) -> None:
    response = citizen.client.post("/deconnexion")

    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    assert signed_in(citizen)
