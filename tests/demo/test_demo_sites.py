"""The demo ministry sites as the provider sees them: their registrations and the welcome; the
names they and the provider go by, and the cookies they keep apart on that one name."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import demo_rp.iqea
import demo_rp.pesticides
from demo_rp.amf import sessions as amf_sessions
from demo_rp.amf import settings as amf_settings
from demo_rp.amf.sp import write_metadata
from demo_rp.iqea import config as iqea_config
from demo_rp.pesticides import config as pesticides_config
from idp.accounts import browsers
from idp.citizens import device
from idp.demo.cli import DEMO_MANAGEMENT_CLIENT, DEMO_MANAGEMENT_SECRET, _demo_sites
from idp.relying_parties import load_registry
from idp.web.i18n import LOCALE_COOKIE

ROOT = Path(__file__).resolve().parents[2]
REGISTRATIONS = ROOT / "demo_rp" / "registrations"
DEMO_ISSUER = tomllib.loads((ROOT / "config" / "demo.toml").read_text("utf-8"))["issuer"]


def registration(stem: str) -> dict[str, Any]:
    return tomllib.loads((REGISTRATIONS / f"{stem}.toml").read_text("utf-8"))


def addresses(value: object) -> Iterator[str]:
    """Every http(s) address in a registration's values."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from addresses(item)
    elif isinstance(value, list):
        for item in value:
            yield from addresses(item)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def demo_registry(runtime, tmp_path: Path):
    """The demo registrations, with the AMF metadata written as the demo runner writes it."""
    directory = tmp_path / "registrations"
    directory.mkdir()
    for toml in REGISTRATIONS.glob("*.toml"):
        shutil.copy(toml, directory / toml.name)
    write_metadata(
        directory / "amf-metadata.xml",
        base_url="http://localhost:5002",
        instance_dir=tmp_path / "amf",
    )
    return load_registry(directory, runtime.catalogue)


def test_demo_registrations_load(runtime, tmp_path):
    registry = demo_registry(runtime, tmp_path)
    iqea = registry.client("iqea")
    assert iqea is not None
    assert iqea.token_endpoint_auth_method == "private_key_jwt"
    assert iqea.jwks_uri == "http://localhost:5001/.well-known/jwks.json"
    assert iqea.security_events_endpoint == "http://localhost:5001/auth/security-events"
    amf = registry.service_provider("http://localhost:5002/saml/metadata")
    assert amf is not None
    assert amf.encrypt_assertions
    assert amf.authn_requests_signed
    assert amf.acs_for(None) is not None
    assert amf.acs_for(None).location == "http://localhost:5002/saml/acs"


def test_the_demo_management_back_end_is_melccfps_with_its_published_secret(runtime, tmp_path):
    manager = demo_registry(runtime, tmp_path).client(DEMO_MANAGEMENT_CLIENT)
    assert manager is not None
    assert manager.check_secret(DEMO_MANAGEMENT_SECRET)
    assert manager.grant_types == ("client_credentials",)
    assert manager.management_scopes == (
        "management:melccfp:registrations",
        "management:melccfp:mailbox",
        "management:melccfp:audit",
    )


def test_welcome_lists_every_demo_site(runtime, tmp_path):
    registry = demo_registry(runtime, tmp_path)

    class WithDemoSites:
        def __init__(self) -> None:
            self.registry = registry

    sites = dict(_demo_sites(WithDemoSites()))  # type: ignore[arg-type]
    assert sites["Inventaire québécois des émissions atmosphériques (OIDC)"] == (
        "http://localhost:5001/"
    )
    assert sites["Autorité des marchés financiers (SAML)"] == "http://localhost:5002/"


def test_the_demo_provider_is_named_localhost_where_browsers_offer_passkeys():
    # WebAuthn refuses an IP address as relying party id; http://localhost is a secure context.
    assert urlsplit(DEMO_ISSUER).hostname == "localhost"


@pytest.mark.parametrize("stem", ["iqea", "amf", "pesticides"])
def test_every_address_of_a_demo_registration_is_named_localhost(stem):
    found = list(addresses(registration(stem)))
    assert found
    for url in found:
        assert urlsplit(url).hostname == "localhost", url


@pytest.mark.parametrize(
    ("stem", "defaults"),
    [
        ("iqea", iqea_config.ENVIRONMENT_DEFAULTS),
        ("pesticides", pesticides_config.ENVIRONMENT_DEFAULTS),
    ],
)
def test_an_oidc_site_serves_where_it_is_registered_and_asks_the_demo_provider(stem, defaults):
    assert defaults["IDP_ISSUER"] == DEMO_ISSUER
    for uri in registration(stem)["redirect_uris"]:
        assert origin(uri) == defaults["BASE_URL"]


def test_the_amf_serves_where_it_is_registered_and_reads_the_demo_provider():
    assert registration("amf")["entity_id"] == f"{amf_settings.DEFAULT_BASE_URL}/saml/metadata"
    assert f"{DEMO_ISSUER}/saml/metadata" == amf_settings.DEFAULT_IDP_METADATA_URL


def test_the_provider_and_the_sites_keep_their_cookies_apart(app):
    """One host name for all: browsers send a host's cookies to every port of it, so a cookie
    name shared by two of them would have one overwrite the other's session."""
    names = [
        app.config["SESSION_COOKIE_NAME"],
        LOCALE_COOKIE,
        device.COOKIE_NAME,
        browsers.COOKIE_NAME,
        demo_rp.iqea.PROFILE.session_cookie,
        demo_rp.iqea.PROFILE.language_cookie,
        demo_rp.pesticides.PROFILE.session_cookie,
        demo_rp.pesticides.PROFILE.language_cookie,
        amf_sessions.COOKIE_NAME,
    ]
    assert app.config["SESSION_COOKIE_NAME"] == "idp_session"  # http: no __Host- prefix
    assert len(set(names)) == len(names), names
