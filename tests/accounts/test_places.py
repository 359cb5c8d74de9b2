"""The approximate place of a session's address (idp/accounts/places.py), from a real MaxMind
DB file written for the test with mmdb-writer, and its line on « Mes sessions »."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from idp import create_app
from idp.accounts.places import open_place_database
from idp.config import ConfigurationError
from tests.conftest import Auth
from tests.geoip import BOSTON, MONTREAL, NOWHERE, write_city_database


@pytest.fixture
def geoip_file(tmp_path: Path) -> Path:
    return write_city_database(tmp_path / "test-city.mmdb")


@pytest.fixture
def places(geoip_file):
    database = open_place_database(geoip_file)
    assert database is not None
    return database


@pytest.mark.parametrize(
    ("address", "language", "place"),
    [
        (MONTREAL, "fr", "Montréal, Québec, Canada"),
        (MONTREAL, "en", "Montreal, Quebec, Canada"),
        # A name missing in French is given in English.
        (BOSTON, "fr", "Boston, Massachusetts, États-Unis"),
        (BOSTON, "en", "Boston, Massachusetts, United States"),
        (NOWHERE, "fr", None),
        ("127.0.0.1", "fr", None),
        ("10.1.2.3", "en", None),
        ("::1", "fr", None),
        ("2001:db8::1", "fr", None),
        ("not an address", "fr", None),
        ("", "fr", None),
        (None, "fr", None),
    ],
)
def test_an_address_is_placed_in_the_page_language(places, address, language, place):
    assert places.place_of(address, language) == place


def test_an_ipv6_address_asked_of_an_ipv4_database_is_unknown(tmp_path):
    database = open_place_database(write_city_database(tmp_path / "v4.mmdb", ip_version=4))
    assert database is not None
    assert database.place_of(MONTREAL, "fr") == "Montréal, Québec, Canada"
    assert database.place_of("2001:db8::1", "fr") is None


def test_a_country_database_names_the_country_alone(tmp_path):
    country_only = {"203.0.113.0/24": {"country": {"names": {"en": "Canada", "fr": "Canada"}}}}
    database = open_place_database(write_city_database(tmp_path / "c.mmdb", country_only))
    assert database is not None
    assert database.place_of(MONTREAL, "fr") == "Canada"


def test_a_city_state_is_named_once(tmp_path):
    singapore = {"names": {"en": "Singapore", "fr": "Singapour"}}
    records = {"203.0.113.0/24": {"city": singapore, "country": singapore}}
    database = open_place_database(write_city_database(tmp_path / "sg.mmdb", records))
    assert database is not None
    assert database.place_of(MONTREAL, "fr") == "Singapour"


def test_no_setting_no_database():
    assert open_place_database(None) is None


@pytest.mark.parametrize("content", [None, b"", b"not a MaxMind database"])
def test_a_file_that_cannot_be_read_stops_the_start_up(app_config, tmp_path, content):
    path = tmp_path / "GeoLite2-City.mmdb"
    if content is not None:
        path.write_bytes(content)
    app_config["geoip_database"] = path
    with pytest.raises(ConfigurationError) as excinfo:
        create_app(app_config)
    assert "IDP_GEOIP_DATABASE" in str(excinfo.value)
    assert str(path) in str(excinfo.value)


def _sessions_text(client, language: str) -> str:
    page = client.get(f"/compte/sessions?lang={language}")
    assert page.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)))


def _sign_in_from(app, auth, person, address: str) -> Auth:
    browser = Auth(app.test_client(), auth.smtp)
    browser.client.environ_base["REMOTE_ADDR"] = address
    browser.sign_in(person)
    return browser


class TestWithAGeoIpDatabase:
    @pytest.fixture
    def app_config(self, app_config, geoip_file):
        app_config["geoip_database"] = geoip_file
        return app_config

    def test_each_session_shows_its_approximate_place(self, app, auth, person):
        _sign_in_from(app, auth, person, BOSTON)
        here = _sign_in_from(app, auth, person, MONTREAL)
        french = _sessions_text(here.client, "fr")
        assert "Lieu approximatif Montréal, Québec, Canada" in french
        assert "Lieu approximatif Boston, Massachusetts, États-Unis" in french
        english = _sessions_text(here.client, "en")
        assert "Approximate place Montreal, Quebec, Canada" in english
        assert "Approximate place Boston, Massachusetts, United States" in english

    def test_the_new_browser_email_names_the_place(self, app, auth, person, smtp):
        _sign_in_from(app, auth, person, BOSTON)
        _sign_in_from(app, auth, person, MONTREAL)
        (told,) = [m for m in smtp.messages if m.message["Subject"].startswith("Nouvelle")]
        assert "Lieu approximatif : Montréal, Québec, Canada" in told.text
        assert "Approximate place: Montreal, Quebec, Canada" in told.text

    @pytest.mark.parametrize("address", [NOWHERE, "127.0.0.1"])
    def test_an_address_the_database_does_not_know(self, app, auth, person, address):
        here = _sign_in_from(app, auth, person, address)
        assert "Lieu approximatif Lieu inconnu" in _sessions_text(here.client, "fr")
        assert "Approximate place Unknown place" in _sessions_text(here.client, "en")


class TestBehindAProxy:
    """With a trusted reverse proxy the address is the one it forwards (X-Forwarded-For)."""

    @pytest.fixture
    def app_config(self, app_config, geoip_file):
        app_config["geoip_database"] = geoip_file
        app_config["trusted_proxy_count"] = 1
        return app_config

    def test_the_forwarded_address_is_placed(self, app, auth, person):
        auth.client.environ_base["HTTP_X_FORWARDED_FOR"] = MONTREAL
        auth.sign_in(person)
        assert "Montréal, Québec, Canada" in _sessions_text(auth.client, "fr")


def test_without_the_setting_no_place_is_shown(app, auth, person, runtime):
    assert runtime.places is None
    here = _sign_in_from(app, auth, person, MONTREAL)
    french = _sessions_text(here.client, "fr")
    assert "Lieu" not in french
    assert "Montréal" not in french
    assert "Approximate place" not in _sessions_text(here.client, "en")
