"""Pages, languages and web security of the pesticide site."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from demo_rp.common.i18n import LANGUAGES
from demo_rp.iqea.i18n import TEXTS as IQEA_TEXTS
from demo_rp.pesticides.i18n import TEXTS
from tests.demo_rp.pesticides.conftest import Visitor

DEMO_RP = Path(__file__).resolve().parents[3] / "demo_rp"
PACKAGE = DEMO_RP / "pesticides"
COMMON = DEMO_RP / "common"
MINISTRY = (
    "Ministère de l&#39;Environnement, de la Lutte contre les changements climatiques, "
    "de la Faune et des Parcs"
)


def test_home_says_what_the_service_is_and_for_whom(client: FlaskClient) -> None:
    response = client.get("/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert MINISTRY in html
    assert "<h1>Demande de certificat pour l&#39;utilisation de pesticides</h1>" in html
    assert "À qui s&#39;adresse ce service" in html
    assert "sur leur propre exploitation agricole" in html
    assert "Avant de commencer" in html
    assert "attestation de réussite" in html
    assert 'href="/auth/connexion">Accéder au service</a>' in html
    # The footer's links land on these sections.
    assert 'id="acces"' in html
    assert 'id="aide"' in html
    assert "fictifs" in html  # the demo says its categories are illustrative
    assert "pesticides_session" not in response.headers.get("Set-Cookie", "")


def test_home_in_english(client: FlaskClient) -> None:
    switched = client.get("/langue/en?next=/")
    assert switched.headers["Location"] == "/"

    html = client.get("/").get_data(as_text=True)

    assert '<html lang="en">' in html
    assert "Application for a pesticide use certificate" in html
    assert "Who this service is for" in html
    assert ">Access the service</a>" in html
    assert 'href="/langue/fr?next=/"' in html


def test_language_switch_stays_on_the_site(client: FlaskClient) -> None:
    for target in ("https://attacker.example/", "//attacker.example", "/\\attacker.example"):
        assert client.get("/langue/fr", query_string={"next": target}).headers["Location"] == "/"


def test_signed_in_pages_in_both_languages(citizen: Visitor) -> None:
    pages = {
        "/demandes": ("Mes demandes", "My applications"),
        "/demandes/nouvelle": ("Nouvelle demande de certificat", "New certificate application"),
        "/transmis": (
            "Ce que le fournisseur d&#39;identité nous a transmis",
            "What the identity provider sent us",
        ),
    }
    for path, (french, _english) in pages.items():
        html = citizen.client.get(path).get_data(as_text=True)
        assert french in html, path
        assert 'aria-current="page"' in html, path
        assert "Gabrielle Fortin" in html, path
    citizen.client.get("/langue/en")
    for path, (_french, english) in pages.items():
        html = citizen.client.get(path).get_data(as_text=True)
        assert english in html, path
        assert ">Sign out</button>" in html, path


def test_every_text_exists_in_both_languages() -> None:
    for key, texts in TEXTS.items():
        assert len(texts) == len(LANGUAGES), key
        assert all(text.strip() for text in texts), key
        fields = [set(re.findall(r"{(\w+)}", text)) for text in texts]
        assert fields[0] == fields[1], key


# Text keys named in the code (flashes, error pages, validation errors).
_CODE_KEY = re.compile(
    r'"((?:error|flash|transmitted|csrf|not_found|method|bad_request|server_error'
    r'|provider_unavailable|sign_in_failed|access_denied|enterprise_refused)_[a-z0-9_]+)"'
)
# A whole key (not the start of one the template builds: ``t("field_" ~ name)``).
_TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""")


def used_keys(*packages: Path) -> set[str]:
    used: set[str] = set()
    for package in packages:
        for path in package.rglob("*.html"):
            used |= set(_TEMPLATE_KEY.findall(path.read_text("utf-8")))
        for path in package.rglob("*.py"):
            source = path.read_text("utf-8")
            used |= set(_TEMPLATE_KEY.findall(source)) | set(_CODE_KEY.findall(source))
    return used


def test_every_key_used_is_defined() -> None:
    used = used_keys(PACKAGE, COMMON)
    # Keys the templates and the validation build from data.
    used |= {"status_submitted", "status_submitted_text"}
    for category in ("farm", "woodlot", "property"):
        used |= {f"category_{category}", f"category_{category}_hint"}
    for name in ("category", "street_address", "municipality", "postal_code", "telephone"):
        used |= {f"field_{name}", f"field_{name}_hint", f"error_{name}_required"}
    for name in ("birth_date", "attestation_number", "declaration"):
        used |= {f"field_{name}", f"field_{name}_hint", f"error_{name}_required"}
    used |= {"declaration_text"}

    assert sorted(key for key in used if key not in TEXTS) == []


def test_the_shared_pages_find_their_texts_at_iqea_too() -> None:
    assert sorted(key for key in used_keys(COMMON) if key not in IQEA_TEXTS) == []


# -- web security -----------------------------------------------------------------------------


def test_pages_carry_a_strict_policy_and_are_not_stored(citizen: Visitor) -> None:
    for path in ("/", "/demandes", "/demandes/nouvelle", "/transmis", "/page-inconnue"):
        response = citizen.client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "script-src" not in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert "form-action 'self' https://clicsequr.example" in policy
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        html = response.get_data(as_text=True)
        assert "<script" not in html
        assert " style=" not in html
        assert "onclick" not in html


def test_style_sheets_and_logo_are_served_and_may_be_cached(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    links = re.findall(r'href="(/[^"]+\.(?:css|svg))"', html)

    assert "/common-static/css/quebec.css" in links
    assert "/static/css/pesticides.css" in links
    for link in {*links, "/static/img/pesticides.svg"}:
        response = client.get(link)
        assert response.status_code == 200, link
        assert response.headers.get("Cache-Control") != "no-store", link
        response.close()


def test_every_form_carries_a_csrf_token() -> None:
    for path in [*PACKAGE.rglob("*.html"), *COMMON.rglob("*.html")]:
        html = path.read_text("utf-8")
        for form in re.findall(r"<form\b.*?</form>", html, re.S):
            assert 'name="csrf_token"' in form, f"{path.name}: {form[:120]}"


def test_a_form_posted_without_csrf_token_is_refused(citizen: Visitor) -> None:
    response = citizen.client.post("/demandes/nouvelle", data={"category": "farm"})

    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status", "french"),
    [("/nulle-part", 404, "Page introuvable"), ("/auth/backchannel-logout", 405, "non permise")],
)
def test_error_pages_are_in_french_first(
    client: FlaskClient, path: str, status: int, french: str
) -> None:
    response = client.get(path)

    assert response.status_code == status
    assert french in response.get_data(as_text=True)


def test_an_unknown_application_is_not_found(citizen: Visitor) -> None:
    for path in ("/demandes/PC-2026-999999", "/demandes/nimporte/confirmation"):
        assert citizen.client.get(path).status_code == 404


def test_transmitted_page_needs_a_session(client: FlaskClient, provider: Any) -> None:
    response = client.get("/transmis")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
