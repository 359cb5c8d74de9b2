"""The IQEA site against a live provider, both served on loopback.

- the provider (``tests/oidc/live_server.py``) at its own URL, which is its issuer, with the
  relying-parties directory holding ``iqea.toml``, registered as the demo registers it: a
  ``private_key_jwt`` client whose keys the provider fetches from the site's ``jwks_uri``;
- the site, served live too (the provider fetches its JWKS and delivers back-channel logout
  tokens and security events to it), and driven by Flask's test client for the person's pages;
- the person's browser at the provider: :class:`ProviderBrowser` (``HttpBrowser`` choosing the
  enterprise when asked).

Provider data: ``world`` and ``second_client`` of ``tests/proxies/conftest.py`` and
``operator_person`` of ``tests/oidc/conftest.py`` (Jean Roy, operator of the emitter).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey

from demo_rp.iqea import create_app
from demo_rp.iqea.keys import CLIENT_KEY_FILE
from idp.oidc.client_keys import forget_cached_keys
from tests.conftest import TEST_PASSWORD, Person, SmtpCapture, csrf_token
from tests.oidc.conftest import operator_person  # noqa: F401 (a fixture)
from tests.oidc.live_server import (
    HttpBrowser,
    LiveServer,
    WallClock,
    reserve_loopback_socket,
    serve,
    socket_url,
)
from tests.proxies.conftest import second_client, world  # noqa: F401 (fixtures)

SCOPES = [
    "openid",
    "profile",
    "email",
    "enterprise",
    "melccfp.iqea.operator",
    "melccfp.iqea.verifier",
]

_SITE_KEY_PEM: bytes | None = None


def site_key_pem() -> bytes:
    """The site's private key, made once per run (RSA generation is slow)."""
    global _SITE_KEY_PEM
    if _SITE_KEY_PEM is None:
        _SITE_KEY_PEM = RSAKey.generate_key(2048, private=True).as_pem(private=True)
    return _SITE_KEY_PEM


def iqea_registration(site_url: str) -> dict[str, Any]:
    """The provider's ``relying_parties/iqea.toml`` for a site served at ``site_url``."""
    return {
        "kind": "oidc",
        "client_id": "iqea",
        "ministry": "melccfp",
        "audience": "enterprise",
        "name_fr": "Inventaire québécois des émissions atmosphériques",
        "name_en": "Québec Air Emissions Inventory",
        "redirect_uris": [f"{site_url}/auth/callback"],
        "post_logout_redirect_uris": [f"{site_url}/"],
        "backchannel_logout_uri": f"{site_url}/auth/backchannel-logout",
        "security_events_endpoint": f"{site_url}/auth/security-events",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks_uri": f"{site_url}/.well-known/jwks.json",
        "id_token_signed_response_alg": "RS256",
        "grant_types": ["authorization_code", "refresh_token"],
        "scopes": SCOPES,
        "required_rights": ["melccfp.iqea.operator", "melccfp.iqea.verifier"],
    }


def toml_lines(fields: dict[str, Any]) -> str:
    # Strings and lists of strings only: JSON spells them as TOML does.
    return "".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in fields.items()
    )


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
def relying_parties(tmp_path: Path, site_url: str) -> Path:
    directory = tmp_path / "relying_parties"
    directory.mkdir()
    (directory / "iqea.toml").write_text(toml_lines(iqea_registration(site_url)), "utf-8")
    return directory


@pytest.fixture
def app_config(
    app_config: dict[str, Any], relying_parties: Path, provider_socket: socket.socket
) -> dict[str, Any]:
    app_config["relying_parties_dir"] = relying_parties
    app_config["issuer"] = socket_url(provider_socket)
    # Keys fetched from a jwks_uri are cached by URL; a port may serve another test's site.
    forget_cached_keys()
    return app_config


@pytest.fixture
def provider(app: Flask, provider_socket: socket.socket) -> Iterator[LiveServer]:
    with serve(app, provider_socket) as server:
        yield server


# -- the site ---------------------------------------------------------------------------------


@pytest.fixture
def site_clock() -> WallClock:
    """The site's own clock: advancing it makes its access tokens look expired."""
    return WallClock()


@pytest.fixture
def site(
    provider: LiveServer, site_socket: socket.socket, tmp_path: Path, site_clock: WallClock
) -> Iterator[Flask]:
    instance = tmp_path / "iqea-instance"
    instance.mkdir()
    (instance / CLIENT_KEY_FILE).write_bytes(site_key_pem())
    app = create_app(
        {
            "IQEA_IDP_ISSUER": provider.url,
            "IQEA_BASE_URL": socket_url(site_socket),
            "IQEA_INSTANCE_DIR": instance,
            "IQEA_CLIENT_ID": "iqea",
            "IQEA_CLOCK": site_clock,
            "TESTING": True,
        }
    )
    with serve(app, site_socket) as server:
        app.extensions["test.live_server"] = server
        yield app
    forget_cached_keys()


@pytest.fixture
def site_client(site: Flask) -> FlaskClient:
    return site.test_client()


# -- people -----------------------------------------------------------------------------------


class ProviderBrowser(HttpBrowser):
    """``HttpBrowser`` that chooses the enterprise named, when the provider asks."""

    def __init__(self, base_url: str, smtp: SmtpCapture, enterprise: str | None = None) -> None:
        super().__init__(base_url, smtp)
        self.enterprise = enterprise

    def _fill_in(self, page: requests.Response, person: Person) -> requests.Response:
        if 'name="enterprise"' in page.text:
            assert self.enterprise, f"the enterprise choice was shown: {page.text[:300]}"
            return self._submit(page, enterprise=enterprise_choice(page.text, self.enterprise))
        return super()._fill_in(page, person)

    def sign_out_at_provider(self) -> requests.Response:
        """The person signs out on the provider's own site."""
        home = self.session.get(f"{self.base_url}/", timeout=5)
        return self.session.post(
            f"{self.base_url}/deconnexion",
            data={"csrf_token": csrf_token(home.text)},
            allow_redirects=False,
            timeout=5,
        )


def enterprise_choice(html: str, name: str) -> str:
    """The value of the button choosing ``name`` on the provider's enterprise choice page."""
    pattern = re.escape(name) + r"</h2>.*?name=\"enterprise\" value=\"(\d+)\""
    match = re.search(pattern, html, re.S)
    assert match, f"{name} is not offered"
    return match.group(1)


@dataclass
class Visitor:
    """A person at the IQEA site: its test client, and their browser at the provider."""

    client: FlaskClient
    browser: ProviderBrowser
    person: Person
    site_url: str

    def sign_in(self) -> Any:
        """From the home page to the signed-in home page."""
        home = self.client.get("/")
        assert 'href="/auth/connexion"' in home.get_data(as_text=True)
        start = self.client.get("/auth/connexion")
        assert start.status_code == 302, start.get_data(as_text=True)
        callback_url = self.browser.authorize(start.headers["Location"], self.person)
        assert callback_url.startswith(f"{self.site_url}/auth/callback?"), callback_url
        parts = urlsplit(callback_url)
        done = self.client.get(f"{parts.path}?{parts.query}")
        assert done.status_code == 302, done.get_data(as_text=True)[:2000]
        assert done.headers["Location"] == "/"
        return self.client.get("/")

    def form(self, path: str, data: dict[str, str], page: str | None = None) -> Any:
        html = self.client.get(page or path).get_data(as_text=True)
        return self.client.post(path, data={**data, "csrf_token": csrf_token(html)})


@pytest.fixture
def visitors(site: Flask, provider: LiveServer, smtp: SmtpCapture, site_url: str) -> Iterator[Any]:
    """Makes visitors; closes their browsers at the end."""
    made: list[Visitor] = []

    def make(person: Person, enterprise: str | None = None) -> Visitor:
        visitor = Visitor(
            site.test_client(), ProviderBrowser(provider.url, smtp, enterprise), person, site_url
        )
        made.append(visitor)
        return visitor

    yield make
    for visitor in made:
        visitor.browser.close()


@pytest.fixture
def operator(visitors: Any, operator_person: Person) -> Visitor:  # noqa: F811
    return visitors(operator_person)


@pytest.fixture
def verifier(visitors: Any, world: Any, second_client: Any) -> Visitor:  # noqa: F811
    """Karim Haddad of the consulting firm, verifier of the emitter and of the second client."""
    return visitors(Person(world.consultant, TEST_PASSWORD), world.emitter.legal_name)
