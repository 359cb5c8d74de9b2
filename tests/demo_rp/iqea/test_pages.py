"""Pages, languages and web security of the site, with sessions made here (no provider)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo_rp.iqea import create_app
from demo_rp.iqea.i18n import LANGUAGES, TEXTS
from demo_rp.iqea.keys import CLIENT_KEY_FILE
from demo_rp.iqea.reports import offered_years, validate
from tests.demo_rp.iqea.conftest import site_key_pem

PACKAGE = Path(__file__).resolve().parents[3] / "demo_rp" / "iqea"
EMITTER = {"neq": "1143256789", "name": "Aciérie Saint-Laurent inc."}
FIRM = {"neq": "1170000002", "name": "Conseils Verts Québec inc."}


@pytest.fixture
def offline_site(tmp_path: Path) -> Flask:
    """The site with a provider that is never called (sessions are written by the tests)."""
    instance = tmp_path / "iqea"
    instance.mkdir()
    (instance / CLIENT_KEY_FILE).write_bytes(site_key_pem())
    return create_app(
        {
            "IQEA_IDP_ISSUER": "http://127.0.0.1:9",
            "IQEA_INSTANCE_DIR": instance,
            "TESTING": True,
        }
    )


def signed_in_as(client: FlaskClient, rights: list[str], **claims: Any) -> None:
    """A session as the callback leaves it, with tokens valid for ten minutes."""
    now = int(time.time())
    merged = {
        "sub": "pairwise-sub",
        "name": "Karim Haddad",
        "enterprise": EMITTER,
        "role": "user",
        "rights": rights,
        **claims,
    }
    with client.session_transaction() as session:
        session["auth"] = {
            "sub": "pairwise-sub",
            "sid": "provider-sid",
            "claims": merged,
            "id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwYWlyd2lzZS1zdWIifQ.c2ln",
            "id_token_claims": {"sub": "pairwise-sub"},
            "access_token": "opaque-for-this-test",
            "refresh_token": "refresh",
            "expires_at": now + 600,
            "scope": "openid",
            "authorization_details": [
                {
                    "type": "clicsequr_rights",
                    "ministry": "melccfp",
                    "enterprise": EMITTER["neq"],
                    "rights": rights,
                    "source": "external",
                    "proxy_id": "42",
                    "proxy_valid_until": "2027-06-30",
                    "agent": FIRM["neq"],
                }
            ],
            "userinfo": merged,
            "signed_in_at": now,
            "refreshed_at": None,
        }


# -- without rights ---------------------------------------------------------------------------


def test_person_without_iqea_right_is_told_what_to_ask_for(offline_site: Flask) -> None:
    client = offline_site.test_client()
    signed_in_as(client, [])

    html = client.get("/").get_data(as_text=True)

    assert "Vous ne détenez aucun droit d&#39;accès à l&#39;IQEA" in html
    assert "responsable des services électroniques (RSE)" in html
    assert "Identification de l&#39;exploitant" in html
    assert "Identification du vérificateur" in html
    assert 'href="/declarations"' not in html
    for path in ("/declarations", "/verification"):
        page = client.get(path)
        assert page.status_code == 403
        assert "Accès non autorisé" in page.get_data(as_text=True)


def test_without_rights_in_english(offline_site: Flask) -> None:
    client = offline_site.test_client()
    signed_in_as(client, [])

    html = client.get("/?lang=en").get_data(as_text=True)

    assert "You hold no IQEA access right" in html
    assert "electronic services manager (ESM)" in html


def test_external_verifier_sees_the_agent_firm_and_the_proxy(offline_site: Flask) -> None:
    client = offline_site.test_client()
    signed_in_as(client, ["melccfp.iqea.verifier"], agent=FIRM)

    html = client.get("/").get_data(as_text=True)

    assert "pour le compte de Conseils Verts Québec inc." in html
    assert "Procuration externe no 42" in html
    assert "valide jusqu&#39;au 30 juin 2027" in html
    assert 'href="/verification"' in html


# -- what the provider sent -------------------------------------------------------------------


def test_transmitted_page_shows_raw_tokens_and_their_json(offline_site: Flask) -> None:
    client = offline_site.test_client()
    signed_in_as(client, ["melccfp.iqea.operator"])

    page = client.get("/transmis")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ce que le fournisseur d&#39;identité nous a transmis" in html
    assert "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwYWlyd2lzZS1zdWIifQ.c2ln" in html
    assert "&#34;alg&#34;: &#34;RS256&#34;" in html  # the decoded header
    assert "&#34;sub&#34;: &#34;pairwise-sub&#34;" in html
    assert "Réponse UserInfo" in html
    assert "clicsequr_rights" in html
    assert "refresh" not in re.findall(r"<pre[^>]*>(.*?)</pre>", html, re.S)


def test_transmitted_page_needs_a_session(offline_site: Flask) -> None:
    response = offline_site.test_client().get("/transmis")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# -- language ---------------------------------------------------------------------------------


def test_language_switch_is_remembered_and_stays_on_the_site(offline_site: Flask) -> None:
    client = offline_site.test_client()

    switched = client.get("/langue/en?next=/transmis")
    assert switched.headers["Location"] == "/transmis"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in with clicSÉQUR" in html
    assert "Québec Air Emissions Inventory (IQEA)" in html
    assert 'href="/langue/fr?next=/"' in html

    for target in ("https://attacker.example/", "//attacker.example", "/\\attacker.example"):
        assert client.get("/langue/fr", query_string={"next": target}).headers["Location"] == "/"


def test_every_text_exists_in_both_languages() -> None:
    for key, texts in TEXTS.items():
        assert len(texts) == len(LANGUAGES), key
        fields = [set(re.findall(r"{(\w+)}", text)) for text in texts]
        assert all(text.strip() for text in texts), key
        assert fields[0] == fields[1], key


# Text keys named in the code (flashes, error pages, validation errors, page sections).
_CODE_KEY = re.compile(
    r'"((?:error|flash|transmitted|approve|csrf|not_found|method|bad_request|server_error'
    r'|provider_unavailable|sign_in_failed|access_denied)_[a-z0-9_]+)"'
)
# A whole key (not the start of one the template builds: ``t("field_" ~ name)``).
_TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""")
_FIELDS = ("establishment_name", "establishment_count", "co2_tonnes", "nox_tonnes")


def test_every_key_used_is_defined() -> None:
    used: set[str] = set()
    for path in PACKAGE.rglob("*.html"):
        used |= set(_TEMPLATE_KEY.findall(path.read_text("utf-8")))
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text("utf-8")
        used |= set(_TEMPLATE_KEY.findall(source)) | set(_CODE_KEY.findall(source))
    # Keys the templates and the validation build from data.
    used |= {f"status_{s}" for s in ("brouillon", "transmis", "approuve")}
    used |= {f"role_{r}" for r in ("esm", "user")}
    used |= {f"right_label_{r}" for r in ("operator", "verifier")}
    for name in (*_FIELDS, "particulate_tonnes"):
        used |= {f"field_{name}", f"field_{name}_hint", f"error_{name}_required"}

    assert sorted(key for key in used if key not in TEXTS) == []


# -- web security -----------------------------------------------------------------------------


def test_pages_carry_a_strict_policy_and_are_not_stored(offline_site: Flask) -> None:
    client = offline_site.test_client()
    signed_in_as(client, ["melccfp.iqea.operator"])

    for path in ("/", "/declarations", "/transmis", "/page-inconnue"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "script-src" not in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        html = response.get_data(as_text=True)
        assert "<script" not in html
        assert " style=" not in html
        assert "onclick" not in html


def test_every_form_carries_a_csrf_token() -> None:
    for path in PACKAGE.rglob("*.html"):
        html = path.read_text("utf-8")
        for form in re.findall(r"<form\b.*?</form>", html, re.S):
            assert 'name="csrf_token"' in form, f"{path.name}: {form[:120]}"


def test_a_form_posted_without_csrf_token_is_refused(offline_site: Flask) -> None:
    client = offline_site.test_client()
    signed_in_as(client, ["melccfp.iqea.operator"])
    year = offered_years(datetime.now(UTC))[0]

    response = client.post(f"/declarations/{year}", data={"action": "save"})

    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)


def test_unknown_page_is_answered_in_french_first(offline_site: Flask) -> None:
    response = offline_site.test_client().get("/nulle-part")

    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


# -- validation of a report -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1 250,5", "1250.5"), ("1\u202f250.500", "1250.5"), ("0", "0"), ("12,345", "12.345")],
)
def test_tonnes_are_read_as_people_type_them(typed: str, stored: str) -> None:
    clean, errors = validate({"co2_tonnes": typed}, complete=False)

    assert errors == {}
    assert clean["co2_tonnes"] == stored


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("-1", "error_tonnes_number"),
        ("1e5", "error_tonnes_number"),
        ("1,2,3", "error_tonnes_number"),
        ("0,0001", "error_tonnes_decimals"),
        ("100000001", "error_tonnes_too_large"),
    ],
)
def test_wrong_tonnes_are_refused(typed: str, error: str) -> None:
    _clean, errors = validate({"nox_tonnes": typed}, complete=False)

    assert errors == {"nox_tonnes": error}


def test_a_draft_may_be_incomplete_but_a_submission_may_not() -> None:
    assert validate({}, complete=False)[1] == {}
    _clean, errors = validate({}, complete=True)
    assert set(errors) == {
        "establishment_name",
        "establishment_count",
        "co2_tonnes",
        "nox_tonnes",
        "particulate_tonnes",
    }
