"""« Mes sessions » on clicSÉQUR – Citoyens (the enterprise portal's are in
tests/accounts/test_open_sessions.py)."""

from __future__ import annotations

import pytest

from tests.citizens.conftest import CitizenBrowser
from tests.conftest import csrf_token
from tests.geoip import MONTREAL, write_city_database


def test_a_citizen_sees_their_sessions_and_signs_out_the_others(browser, citizen, app):
    browser.language("en")
    browser.sign_in(citizen)
    page = browser.client.get("/citoyens/compte/sessions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "My sessions" in html
    assert "This browser: the session you are using now." in html
    assert "Sign out this session" not in html  # only this one is open
    answer = browser.client.post(
        "/citoyens/compte/sessions/deconnexion-des-autres", data={"csrf_token": csrf_token(html)}
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/citoyens/compte/sessions")


def test_an_enterprise_account_is_sent_to_its_own_portal(auth, person):
    auth.sign_in(person)
    answer = auth.client.get("/citoyens/compte/sessions")
    assert answer.status_code == 302
    assert "/citoyens/" not in answer.headers["Location"]


def test_a_citizen_is_told_in_their_language_with_their_portals_links(app, citizen, smtp):
    CitizenBrowser(app.test_client(), smtp).sign_in(citizen)
    CitizenBrowser(app.test_client(), smtp).sign_in(citizen)
    subject = "Nouvelle connexion à votre compte"
    (told,) = [m for m in smtp.messages if m.message["Subject"] == subject]
    assert "compte clicSÉQUR – Citoyens" in told.text
    assert "http://localhost/citoyens/compte/sessions" in told.text
    assert "http://localhost/citoyens/compte/mot-de-passe" in told.text
    assert "Hello" not in told.text


class TestWithAGeoIpDatabase:
    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        app_config["geoip_database"] = write_city_database(tmp_path / "test-city.mmdb")
        return app_config

    def test_a_citizen_sees_the_approximate_place_of_a_session(self, browser, citizen):
        browser.client.environ_base["REMOTE_ADDR"] = MONTREAL
        browser.sign_in(citizen)
        html = browser.client.get("/citoyens/compte/sessions?lang=fr").get_data(as_text=True)
        assert "Lieu approximatif" in html
        assert "Montréal, Québec, Canada" in html
