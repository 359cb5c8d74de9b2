"""The pesticide site against a live provider, both served on loopback.

The rest of this folder answers for the provider with a stand-in; here the provider is the real
one (``tests/oidc/live_server.py``), with the registration the demo ships
(``demo_rp/registrations/pesticides.toml``, its origin replaced by the site's), and the site is
served live too: the provider fetches its JWKS (``private_key_jwt``) and delivers back-channel
logout tokens to it. The person's pages at the site go through Flask's test client; their
browser at the provider is :class:`CitizenBrowser`, which signs in through the citizen pages
(user code, password, the emailed code read from the SMTP capture) and agrees to share.

The citizen account is made in the provider's database directly (``make_citizen`` of
``tests/citizens/conftest.py``), as account creation is tested in ``tests/citizens``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from demo_rp.pesticides import create_app
from demo_rp.pesticides.extensions import services
from idp.accounts.models import Account
from idp.oidc.client_keys import forget_cached_keys
from idp.runtime import Runtime
from tests.citizens.conftest import Taxpayer, make_citizen
from tests.conftest import TEST_PASSWORD, Person, SmtpCapture, csrf_token
from tests.oidc.live_server import (
    HttpBrowser,
    LiveServer,
    WallClock,
    reserve_loopback_socket,
    serve,
    socket_url,
)

ROOT = Path(__file__).resolve().parents[3]
REGISTRATION = ROOT / "demo_rp" / "registrations" / "pesticides.toml"
DEMO_ORIGIN = "http://localhost:5003"
ETIENNE = Taxpayer(
    "068465632", "122330", "7MSUAK2ZWJ8", "Étienne", "Côté", "etienne.cote@courriel.example"
)
USER_CODE = "5173-PSTC"
# The provider's pages a citizen fills in, in order, the first time (the last: the consent).
CITIZEN_PAGES = [
    "/citoyens/connexion",
    "/citoyens/connexion/mot-de-passe",
    "/connexion/code",
    "/oidc/authorize",
]


# -- the provider -----------------------------------------------------------------------------


@pytest.fixture
def clock() -> WallClock:
    """The provider's clock follows the real time, as the site's JWT checks do."""
    return WallClock()


@pytest.fixture
def provider_socket() -> Iterator[socket.socket]:
    listening = reserve_loopback_socket()
    yield listening
    listening.close()


@pytest.fixture
def site_socket() -> Iterator[socket.socket]:
    listening = reserve_loopback_socket()
    yield listening
    listening.close()


@pytest.fixture
def site_url(site_socket: socket.socket) -> str:
    return socket_url(site_socket)


@pytest.fixture
def app_config(
    app_config: dict[str, Any], tmp_path: Path, site_url: str, provider_socket: socket.socket
) -> dict[str, Any]:
    """The provider's settings: its issuer is where it is served, and its relying parties the
    demo's pesticide registration, pointed at the site."""
    directory = tmp_path / "relying_parties"
    directory.mkdir()
    registration = REGISTRATION.read_text("utf-8")
    assert DEMO_ORIGIN in registration
    (directory / REGISTRATION.name).write_text(registration.replace(DEMO_ORIGIN, site_url), "utf-8")
    # Keys fetched from a jwks_uri are cached by URL; a port may serve another test's site.
    forget_cached_keys()
    return {**app_config, "relying_parties_dir": directory, "issuer": socket_url(provider_socket)}


@pytest.fixture
def live_provider(app: Flask, provider_socket: socket.socket) -> Iterator[LiveServer]:
    with serve(app, provider_socket) as server:
        yield server


@pytest.fixture
def citizen_account(runtime: Runtime) -> Account:
    return make_citizen(runtime, ETIENNE, user_code=USER_CODE)


# -- the site ---------------------------------------------------------------------------------


@dataclass
class LiveSite:
    app: Flask
    server: LiveServer
    url: str


@pytest.fixture
def live_site(
    live_provider: LiveServer, site_socket: socket.socket, site_url: str, tmp_path: Path
) -> Iterator[LiveSite]:
    app = create_app(
        {
            "PESTICIDES_IDP_ISSUER": live_provider.url,
            "PESTICIDES_BASE_URL": site_url,
            "PESTICIDES_INSTANCE_DIR": tmp_path / "pesticides-instance",
            "PESTICIDES_CLIENT_ID": "pesticides",
            "TESTING": True,
        }
    )
    with serve(app, site_socket) as server:
        yield LiveSite(app, server, site_url)
    forget_cached_keys()


# -- the citizen ------------------------------------------------------------------------------


class CitizenBrowser(HttpBrowser):
    """``HttpBrowser`` through the citizen pages: the user code, then the password; the
    emailed code and the consent as for everyone. It notes the provider's pages it fills in."""

    def __init__(self, base_url: str, smtp: SmtpCapture) -> None:
        super().__init__(base_url, smtp)
        self.pages: list[str] = []

    def _fill_in(self, page: requests.Response, person: Person) -> requests.Response:
        path = urlsplit(page.url).path
        self.pages.append(path)
        assert path != "/connexion", f"a citizen was sent to the enterprise sign-in: {page.url}"
        if path == "/citoyens/connexion":
            return self._submit(page, user_code=person.user_code)
        if path == "/citoyens/connexion/mot-de-passe":
            return self._submit(page, password=person.password)
        return super()._fill_in(page, person)

    def sign_out_at_provider(self) -> requests.Response:
        """The citizen signs out on the provider's own pages."""
        home = self.session.get(f"{self.base_url}/citoyens/", timeout=5)
        assert home.status_code == 200, home.url
        return self.session.post(
            f"{self.base_url}/deconnexion",
            data={"csrf_token": csrf_token(home.text)},
            allow_redirects=False,
            timeout=5,
        )


@dataclass
class Visitor:
    """The citizen at the pesticide site (its test client) and at the provider (their
    browser)."""

    client: FlaskClient
    browser: CitizenBrowser
    person: Person
    site_url: str
    callback_params: dict[str, str] = field(default_factory=dict)

    def sign_in(self) -> Any:
        """« Accéder au service », the provider's pages, back to « Mes demandes »."""
        home = self.client.get("/").get_data(as_text=True)
        assert 'href="/auth/connexion"' in home
        start = self.client.get("/auth/connexion")
        assert start.status_code == 302, start.get_data(as_text=True)
        callback_url = self.browser.authorize(start.headers["Location"], self.person)
        assert callback_url.startswith(f"{self.site_url}/auth/callback?"), callback_url
        parts = urlsplit(callback_url)
        self.callback_params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        done = self.client.get(f"{parts.path}?{parts.query}")
        assert done.status_code == 302, done.get_data(as_text=True)[:2000]
        assert done.headers["Location"] == "/"
        landing = self.client.get("/")
        assert landing.status_code == 302
        assert landing.headers["Location"] == "/demandes"
        return self.client.get("/demandes")

    def auth(self) -> dict[str, Any]:
        with self.client.session_transaction() as session:
            auth: dict[str, Any] = dict(session)["auth"]
        return auth

    def signed_in(self) -> bool:
        response = self.client.get("/demandes")
        return response.status_code == 200 and "Se déconnecter" in response.get_data(as_text=True)


@pytest.fixture
def visitor(
    live_site: LiveSite, live_provider: LiveServer, smtp: SmtpCapture, citizen_account: Account
) -> Iterator[Visitor]:
    browser = CitizenBrowser(live_provider.url, smtp)
    yield Visitor(
        live_site.app.test_client(),
        browser,
        Person(citizen_account, TEST_PASSWORD),
        live_site.url,
    )
    browser.close()


# -- tests ------------------------------------------------------------------------------------


def test_citizen_signs_in_through_the_citizen_pages_and_lands_with_the_claims(
    visitor: Visitor,
    live_provider: LiveServer,
    live_site: LiveSite,
    smtp: SmtpCapture,
    citizen_account: Account,
) -> None:
    page = visitor.sign_in()

    # The provider sent her to its citizen pages, and the code to her address.
    assert visitor.browser.pages == CITIZEN_PAGES
    assert smtp.count_to(ETIENNE.email) == 1
    assert visitor.callback_params["iss"] == live_provider.url

    # The site: « Mes demandes », in her name.
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Bonjour, Étienne Côté." in html
    assert "Se déconnecter" in html

    # What the provider sent: who she is and how she signed in; nothing of an enterprise.
    auth = visitor.auth()
    claims = auth["claims"]
    assert claims["name"] == "Étienne Côté"
    assert claims["given_name"] == "Étienne"
    assert claims["family_name"] == "Côté"
    assert claims["email"] == ETIENNE.email
    assert claims["email_verified"] is True
    for enterprise_claim in ("enterprise", "rights", "role", "authorization_details"):
        assert enterprise_claim not in claims
    assert auth["sub"] == claims["sub"]
    assert auth["sub"] != citizen_account.user_code  # pairwise, not the user code
    assert set(auth["scope"].split()) == {"openid", "profile", "email"}
    assert auth["sid"]

    # private_key_jwt: the provider read the site's registered jwks_uri to check it.
    assert ("GET", "/.well-known/jwks.json") in live_site.server.requests
    assert ("POST", "/oidc/token") in live_provider.requests
    assert ("GET", "/oidc/userinfo") in live_provider.requests

    # The « transmis » page checks the tokens again against the provider's keys.
    transmitted = visitor.client.get("/transmis")
    text = transmitted.get_data(as_text=True)
    assert transmitted.status_code == 200
    assert 'data-section="jeton-identite"' in text
    assert text.count('data-verdict="valid"') == 2  # the ID token and the access token
    assert "urn:clicsequr:acr:mfa" in text
    assert "Étienne Côté" in text
    assert 'data-claim="enterprise' not in text
    assert 'data-claim="rights' not in text
    assert 'data-claim="authorization_details' not in text  # rights: enterprise services only


def test_signing_out_at_the_provider_ends_the_site_session(
    visitor: Visitor, live_site: LiveSite
) -> None:
    visitor.sign_in()
    sid = visitor.auth()["sid"]
    assert sessions_of(live_site.app, sid) == 1

    response = visitor.browser.sign_out_at_provider()

    # Signed out at the provider, sent to the citizen sign-in page; the provider delivered the
    # logout token to the site's live server before answering.
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/citoyens/connexion"
    assert ("POST", "/auth/backchannel-logout") in live_site.server.requests
    assert sessions_of(live_site.app, sid) == 0
    assert not visitor.signed_in()
    back = visitor.client.get("/demandes")
    assert back.status_code == 302


def sessions_of(site: Flask, sid: str) -> int:
    with site.app_context(), services().database.connect() as db:
        return int(db.execute("SELECT COUNT(*) FROM sessions WHERE sid = ?", (sid,)).fetchone()[0])
