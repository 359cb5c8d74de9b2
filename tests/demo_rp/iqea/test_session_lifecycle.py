"""Keeping the session alive (refresh), and ending it: back-channel logout and sign-out."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from demo_rp.iqea.extensions import services
from idp.extensions import db
from idp.oidc.backchannel import BACKCHANNEL_LOGOUT_EVENT, logout_token
from idp.oidc.logout import deliver_pending
from idp.proxies.models import Proxy, ProxyKind
from idp.proxies.services import cancel_proxy
from tests.demo_rp.iqea.conftest import Visitor
from tests.oidc.live_server import LiveServer, WallClock

ACCESS_TOKEN_LIFETIME_MINUTES = 10


def auth_of(visitor: Visitor) -> dict[str, Any]:
    with visitor.client.session_transaction() as session:
        auth: dict[str, Any] = dict(session)["auth"]
    return auth


def signed_in(visitor: Visitor) -> bool:
    html = visitor.client.get("/").get_data(as_text=True)
    return "Se déconnecter" in html and "Se connecter avec clicSÉQUR" not in html


def internal_proxy(world: Any) -> Proxy:
    """Jean Roy's proxy (``operator_person``)."""
    return db.session.scalars(
        select(Proxy).where(
            Proxy.enterprise_id == world.emitter.id, Proxy.kind == ProxyKind.INTERNAL
        )
    ).one()


def sign_in_then_lose_the_proxy(operator: Visitor, world: Any, runtime: Any) -> None:
    """Jean Roy signs in at IQEA, then his ESM cancels his proxy (and its IQEA right)."""
    operator.sign_in()
    cancel_proxy(db.session, runtime, world.esm, internal_proxy(world))
    db.session.commit()


def count(provider: LiveServer, method: str, path: str) -> int:
    return provider.requests.count((method, path))


# -- refresh ----------------------------------------------------------------------------------


def test_expired_access_token_is_renewed_and_claims_read_again(
    operator: Visitor, provider: LiveServer, site_clock: WallClock
) -> None:
    operator.sign_in()
    before = auth_of(operator)
    tokens, userinfos = (
        count(provider, "POST", "/oidc/token"),
        count(provider, "GET", "/oidc/userinfo"),
    )

    site_clock.advance(minutes=ACCESS_TOKEN_LIFETIME_MINUTES + 1)
    page = operator.client.get("/")

    assert page.status_code == 200
    assert "Bonjour, Jean Roy" in page.get_data(as_text=True)
    after = auth_of(operator)
    assert after["refresh_token"] != before["refresh_token"]  # rotated, the new one kept
    assert after["access_token"] != before["access_token"]
    assert after["expires_at"] > before["expires_at"] + 60
    assert after["refreshed_at"] is not None
    assert after["claims"]["rights"] == ["melccfp.iqea.operator"]
    assert after["id_token"] == before["id_token"]  # kept for the logout hint
    assert count(provider, "POST", "/oidc/token") == tokens + 1
    assert count(provider, "GET", "/oidc/userinfo") == userinfos + 1

    # Fresh again: the next page asks nothing of the provider; a second expiry renews again.
    operator.client.get("/declarations")
    assert count(provider, "POST", "/oidc/token") == tokens + 1
    site_clock.advance(minutes=ACCESS_TOKEN_LIFETIME_MINUTES + 1)
    assert signed_in(operator)
    assert auth_of(operator)["refresh_token"] not in {
        after["refresh_token"],
        before["refresh_token"],
    }


def test_refused_refresh_ends_the_session_and_asks_to_sign_in_again(
    operator: Visitor, site_clock: WallClock
) -> None:
    operator.sign_in()
    with operator.client.session_transaction() as session:
        session["auth"] = {**session["auth"], "refresh_token": "not-a-refresh-token-of-ours"}

    site_clock.advance(minutes=ACCESS_TOKEN_LIFETIME_MINUTES + 1)
    response = operator.client.get("/declarations")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = operator.client.get("/").get_data(as_text=True)
    assert "Votre session a pris fin. Connectez-vous de nouveau pour continuer." in home
    assert "Se connecter avec clicSÉQUR" in home
    assert not signed_in(operator)


def test_cancelled_proxy_shows_at_the_next_renewal(
    operator: Visitor, site_clock: WallClock, world: Any, runtime: Any
) -> None:
    sign_in_then_lose_the_proxy(operator, world, runtime)
    assert signed_in(operator)  # the access token is still valid for a few minutes

    site_clock.advance(minutes=ACCESS_TOKEN_LIFETIME_MINUTES + 1)

    assert operator.client.get("/").status_code == 302
    assert "Votre session a pris fin" in operator.client.get("/").get_data(as_text=True)


def test_cancelled_proxy_ends_the_session_as_soon_as_the_provider_says_so(
    operator: Visitor, site: Any, world: Any, runtime: Any
) -> None:
    sign_in_then_lose_the_proxy(operator, world, runtime)

    # What the provider does after the request that cancelled it (or its lifecycle job).
    [notification] = deliver_pending(db.session, runtime)

    assert notification.delivered_at is not None
    assert ("POST", "/auth/backchannel-logout") in site.extensions["test.live_server"].requests
    assert not signed_in(operator)


# -- back-channel logout ----------------------------------------------------------------------


def test_signing_out_at_the_provider_ends_the_site_session(
    operator: Visitor, site: Any, provider: LiveServer
) -> None:
    operator.sign_in()
    sid = auth_of(operator)["sid"]

    response = operator.browser.sign_out_at_provider()

    assert response.status_code == 302
    # The provider delivered the logout token to the site's live server before answering.
    site_server = site.extensions["test.live_server"]
    assert ("POST", "/auth/backchannel-logout") in site_server.requests
    assert not signed_in(operator)
    with services_of(site) as found, found.database.connect() as connection:
        rows = connection.execute("SELECT COUNT(*) FROM sessions WHERE sid = ?", (sid,))
        assert rows.fetchone()[0] == 0


class services_of:  # noqa: N801 (a context manager used like a function)
    def __init__(self, app: Any) -> None:
        self.context = app.app_context()

    def __enter__(self) -> Any:
        self.context.push()
        return services()

    def __exit__(self, *exc: object) -> None:
        self.context.pop()


def provider_logout_token(runtime: Any, auth: dict[str, Any]) -> str:
    client = runtime.registry.client("iqea")
    return logout_token(runtime, client, subject=auth["sub"], sid=auth["sid"])


def test_logout_token_signed_by_the_provider_ends_every_session_of_that_sid(
    operator: Visitor, site: Any, runtime: Any
) -> None:
    operator.sign_in()
    auth = auth_of(operator)

    response = site.test_client().post(
        "/auth/backchannel-logout", data={"logout_token": provider_logout_token(runtime, auth)}
    )

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert not signed_in(operator)


def forged_claims(auth: dict[str, Any], issuer: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": "iqea",
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
        "sub": auth["sub"],
        "sid": auth["sid"],
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


# name: (claims changed, header changed, signed by another key, what the refusal names)
FORGERIES: dict[str, tuple[dict[str, Any], dict[str, Any], bool, str]] = {
    "another_key": ({}, {}, True, "signature"),
    "another_issuer": ({"iss": "https://attacker.example"}, {}, False, "iss"),
    "another_audience": ({"aud": "amf-portal"}, {}, False, "aud"),
    "with_a_nonce": ({"nonce": "n-0S6_WzA2Mj"}, {}, False, "nonce"),
    "without_events": ({"events": None}, {}, False, "events"),
    "another_event": (
        {"events": {"http://schemas.openid.net/event/other": {}}},
        {},
        False,
        "events",
    ),
    "without_sid": ({"sid": None}, {}, False, "sid"),
    "without_jti": ({"jti": None}, {}, False, "jti"),
    "without_iat": ({"iat": None}, {}, False, "iat"),
    "too_old": ({"iat": int(time.time()) - 3600}, {}, False, "iat"),
    "expired": ({"exp": int(time.time()) - 600}, {}, False, "exp"),
    "not_a_logout_token": ({}, {"typ": "JWT"}, False, "typ"),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_logout_token_is_refused(
    forgery: str, operator: Visitor, site: Any, runtime: Any, provider: LiveServer
) -> None:
    operator.sign_in()
    auth = auth_of(operator)
    changes, header_changes, other_key, named = FORGERIES[forgery]
    signing = runtime.keystore.signing_key("RS256")
    key = RSAKey.generate_key(2048) if other_key else signing.key
    header = {"alg": "RS256", "kid": signing.kid, "typ": "logout+jwt", **header_changes}
    token = jwt.encode(header, forged_claims(auth, provider.url, **changes), key)

    response = site.test_client().post("/auth/backchannel-logout", data={"logout_token": token})

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert named in response.get_json()["error_description"]
    assert signed_in(operator)


@pytest.mark.parametrize(
    "value",
    ["", "not.a.jwt", "a.b", "eyJhbGciOiJub25lIiwidHlwIjoibG9nb3V0K2p3dCJ9.e30."],
    ids=["empty", "garbage", "two-parts", "alg-none"],
)
def test_malformed_logout_token_is_refused(value: str, operator: Visitor, site: Any) -> None:
    operator.sign_in()

    response = site.test_client().post("/auth/backchannel-logout", data={"logout_token": value})

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert signed_in(operator)


def test_a_logout_token_is_used_once(operator: Visitor, site: Any, runtime: Any) -> None:
    operator.sign_in()
    token = provider_logout_token(runtime, auth_of(operator))
    client = site.test_client()

    assert client.post("/auth/backchannel-logout", data={"logout_token": token}).status_code == 200
    replay = client.post("/auth/backchannel-logout", data={"logout_token": token})

    assert replay.status_code == 400
    assert "already used" in replay.get_json()["error_description"]


# -- signing out ------------------------------------------------------------------------------


def test_sign_out_goes_to_the_provider_with_the_id_token_hint(
    operator: Visitor, provider: LiveServer, site_url: str
) -> None:
    operator.sign_in()
    id_token = auth_of(operator)["id_token"]

    response = operator.form("/deconnexion", {}, page="/")

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{provider.url}/oidc/logout?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == f"{site_url}/"
    assert params["state"]
    assert not signed_in(operator)

    # At the provider: the hint names the session, which ends at once, and back to the site.
    back = operator.browser.session.get(location, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert back.headers["Location"] == f"{site_url}/?state={params['state']}"
    landing = operator.client.get(f"/?state={params['state']}")
    assert landing.status_code == 302
    home = operator.client.get("/").get_data(as_text=True)
    assert "Vous êtes déconnecté de l&#39;IQEA et de clicSÉQUR." in home
    # The provider's session is over: signing in again asks for the password.
    start = operator.client.get("/auth/connexion").headers["Location"]
    again = operator.browser.session.get(start, allow_redirects=False, timeout=5)
    assert "/connexion" in again.headers["Location"]


def test_sign_out_without_csrf_token_is_refused(operator: Visitor) -> None:
    operator.sign_in()

    response = operator.client.post("/deconnexion")

    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    assert signed_in(operator)
