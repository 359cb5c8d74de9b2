"""The pages a public service owes everyone: help, accessibility, privacy; on both portals, in
both languages, linked from every footer; the support contact from the settings; the favicon;
the column names the tables carry for their narrow-screen cards."""

from __future__ import annotations

import re

import pytest

from idp.home import views

# (path, French heading, English heading)
PAGES = [
    ("/aide", "Aide à la connexion", "Help with signing in"),
    ("/accessibilite", "Déclaration d'accessibilité", "Accessibility statement"),
    ("/confidentialite", "Avis de confidentialité", "Privacy notice"),
]
FOOTER = re.compile(r'<footer class="site-footer">.*?</footer>', re.S)


def footer_links(page: str) -> list[str]:
    footer = FOOTER.search(page)
    assert footer is not None
    return re.findall(r'<a href="([^"]*)"', footer.group(0))


@pytest.mark.parametrize(("path", "french", "english"), PAGES)
@pytest.mark.parametrize("prefix", ["", "/citoyens"])
def test_each_page_answers_in_french_and_in_english(client, prefix, path, french, english):
    page = client.get(prefix + path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"<h1>{french}</h1>" in html.replace("&#39;", "'")
    assert '<html lang="fr">' in html

    in_english = client.get(f"{prefix}{path}?lang=en").get_data(as_text=True)
    assert f"<h1>{english}</h1>" in in_english
    assert '<html lang="en">' in in_english


@pytest.mark.parametrize(("path", "_french", "_english"), PAGES)
def test_the_citizens_copy_wears_the_citizens_portal(client, path, _french, _english):
    citizens = client.get(f"/citoyens{path}").get_data(as_text=True)
    assert "| clicSÉQUR – Citoyens</title>" in citizens
    assert "css/citizens.css" in citizens
    enterprises = client.get(path).get_data(as_text=True)
    assert "| clicSÉQUR – Entreprises</title>" in enterprises
    assert "css/citizens.css" not in enterprises


@pytest.mark.parametrize(
    ("start", "prefix"),
    [
        ("/connexion", ""),
        ("/aide", ""),
        ("/citoyens/connexion", "/citoyens"),
        ("/citoyens/aide", "/citoyens"),
    ],
)
def test_the_footer_links_to_the_pages_of_its_portal(client, start, prefix):
    links = footer_links(client.get(start).get_data(as_text=True))
    assert links == [f"{prefix}/accessibilite", f"{prefix}/confidentialite", f"{prefix}/aide"]
    for link in links:
        assert client.get(link).status_code == 200


def test_a_signed_in_footer_links_the_pages_too(auth, person):
    auth.sign_in(person)
    links = footer_links(auth.client.get("/").get_data(as_text=True))
    assert links == ["/accessibilite", "/confidentialite", "/aide"]


@pytest.fixture
def support(app_config):
    app_config["support_email"] = "aide@soutien.example"
    app_config["support_telephone"] = "1 877 555-0123"


@pytest.mark.usefixtures("support")
@pytest.mark.parametrize("path", ["/aide", "/accessibilite", "/confidentialite", "/citoyens/aide"])
def test_the_support_contact_comes_from_the_settings(client, path):
    html = client.get(path).get_data(as_text=True)
    assert '<a href="mailto:aide@soutien.example">aide@soutien.example</a>' in html
    assert '<a href="tel:18775550123">1 877 555-0123</a>' in html
    assert "soutien@clicsequr.example" not in html


@pytest.fixture
def short_lifetimes(app_config):
    app_config["session_idle_timeout_seconds"] = 1200
    app_config["oidc_refresh_token_lifetime_seconds"] = 43200


@pytest.mark.usefixtures("short_lifetimes")
def test_the_privacy_notice_states_the_lifetimes_of_the_settings(client):
    # Babel writes « 20 minutes » with a no-break space in French, a space in English.
    html = client.get("/confidentialite?lang=en").get_data(as_text=True).replace("\u00a0", " ")
    assert "A session ends after 20 minutes without activity" in html
    assert "a refresh token valid for 12 hours" in html
    # The lifecycle run's one day after expiry, and what nothing deletes yet, said plainly.
    assert "deleted 1 day after they expire" in html
    assert "Nothing is deleted yet for the rest" in html
    assert "An account unused for 2 years is cancelled; you are warned 30 and 7 days" in html


def test_the_privacy_notice_in_french(client):
    html = client.get("/confidentialite").get_data(as_text=True).replace("&#39;", "'")
    assert "Une session prend fin après 30\u00a0minutes d'inactivité" in html
    assert "Un compte inutilisé depuis 2 ans est annulé; vous en êtes avisé 30 et 7 jours" in html
    assert "Commission d'accès à l'information du Québec" in html


def test_the_help_page_explains_sign_in_and_whom_to_call(client):
    html = client.get("/aide?lang=en").get_data(as_text=True)
    assert "A password has at least 12 characters." in html
    assert "tick « I am using a public or shared computer »" in html
    for anchor in ("connexion", "attente", "oubli", "entreprises", "code", "citoyens", "contact"):
        assert f'<h2 id="{anchor}">' in html
        assert f'href="#{anchor}"' in html


def test_forgotten_pages_are_named_without_a_link_when_absent(client, monkeypatch):
    monkeypatch.setattr(
        views, "FORGOTTEN_PAGES", {name: f"/nulle-part/{name}" for name in views.FORGOTTEN_PAGES}
    )
    html = client.get("/aide?lang=en").get_data(as_text=True)
    assert "Enterprise accounts: « Forgot your password? » · « Forgot your user code? »" in html
    assert "/nulle-part/" not in html


def test_forgotten_pages_are_linked_once_they_answer(app, client):
    for name, path in views.FORGOTTEN_PAGES.items():
        if path not in {rule.rule for rule in app.url_map.iter_rules()}:
            app.add_url_rule(path, f"test_{name}", lambda: "")
    html = client.get("/aide?lang=en").get_data(as_text=True)
    for path in views.FORGOTTEN_PAGES.values():
        assert f'href="{path}"' in html


def test_the_favicon(client):
    html = client.get("/connexion").get_data(as_text=True)
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html

    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301
    assert legacy.headers["Location"] == "/static/img/favicon.svg"
    icon = client.get("/static/img/favicon.svg")
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")
    icon.close()


def test_table_cells_carry_their_column_name_for_narrow_screens(auth, person):
    auth.sign_in(person)
    services = auth.client.get("/entreprise/services").get_data(as_text=True)
    assert services.count('data-label="Statut"') >= 1
    assert 'data-label="Demande transmise le"' in services
    users = auth.client.get("/entreprise/utilisateurs?lang=en").get_data(as_text=True)
    for label in ("User code", "Role", "Status", "Last sign-in"):
        assert f'data-label="{label}"' in users
