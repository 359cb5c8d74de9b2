"""The page « Ce que le fournisseur d'identité nous a transmis » after a real sign-in: the SAML
response, its assertion decrypted with the site's key, checked again by ``idp.inspect`` against
the certificates of the provider's metadata, and explained."""

from __future__ import annotations

import base64
import time
from typing import Any

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from demo_rp.amf.sessions import COOKIE_NAME
from demo_rp.amf.transmitted import decrypt_assertions
from tests.conftest import Person
from tests.demo_rp.amf.conftest import Journey, field

ENTERPRISE_NEQ = "urn:clicsequr:attribute:enterprise-neq"
NEQ_FR = (
    "Numéro d'entreprise du Québec (NEQ, 10 chiffres) de l'entreprise pour laquelle la "
    "personne agit."
)
NEQ_EN = "Québec enterprise number (NEQ, 10 digits) of the enterprise the person acts for."
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"


def page_of(journey: Journey) -> Any:
    response = journey.page("/transmis")
    html = response.get_data(as_text=True)
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "<script" not in html
    assert " style=" not in html
    return lxml.html.fromstring(html)


def text_of(page: Any, xpath: str) -> str:
    [element] = page.xpath(xpath)
    return " ".join(element.text_content().split())


def verdict(page: Any) -> tuple[str, str]:
    [box] = page.xpath("//*[@data-verdict]")
    return str(box.get("data-verdict")), " ".join(box.text_content().split())


def attribute_explanation(page: Any, name: str) -> str:
    return text_of(
        page,
        f"//table[@data-table='attributes']//tr[@data-item='{name}']/td[@class='item-explanation']",
    )


def test_the_response_is_valid_signed_by_a_published_key_and_explained(
    journey: Journey, esm_person: Person, runtime: Any
) -> None:
    journey.sign_in(esm_person)
    current = runtime.keystore.current("RSA").kid

    page = page_of(journey)

    state, line = verdict(page)
    assert state == "valid", line
    assert line.startswith(
        f"VALIDE — réponse SAML : signatures vérifiées (RSA-SHA256) avec la clé publiée {current}"
    )
    for covers in ("response", "assertion"):
        assert page.xpath(f"//dl[@data-signature='{covers}' and @data-status='valid']")
        assert text_of(page, f"//*[@data-field='kid-{covers}']") == current
    assert not page.xpath("//*[@data-problem]")
    notes = " ".join(page.xpath("//li[contains(@class, 'check-note')]//text()"))
    assert "L'assertion était chiffrée pour ce site seul (EncryptedAssertion)" in notes
    assert "ne peuvent pas être vérifiés ici" not in notes
    assert page.xpath("//tr[@data-time='Conditions NotOnOrAfter' and @class='time-ok']")
    assert text_of(page, "//*[@data-field='name-id-explanation']").startswith(
        "Identifiant persistant, la valeur même du sub OpenID Connect"
    )
    assert attribute_explanation(page, ENTERPRISE_NEQ) == NEQ_FR
    assert text_of(page, f"//tr[@data-item='{ENTERPRISE_NEQ}']/th").startswith(
        "NEQ de l'entreprise"
    )
    assert page.xpath(
        "//table[@data-table='elements']//tr[@data-item='EncryptedData EncryptionMethod']"
    )
    assert page.xpath("//details/pre[contains(@class, 'raw-base64')]")

    journey.amf.get("/langue/en?next=/transmis")
    english = page_of(journey)

    state, line = verdict(english)
    assert state == "valid"
    assert line.startswith(
        f"VALID — SAML response: signatures verified (RSA-SHA256) with the published key {current}"
    )
    assert attribute_explanation(english, ENTERPRISE_NEQ) == NEQ_EN


def _stored(amf_app: Flask, amf: FlaskClient) -> tuple[Any, str, dict[str, Any]]:
    """The site's session store, the session's token and its data as stored."""
    cookie = amf.get_cookie(COOKIE_NAME)
    assert cookie is not None
    store = amf_app.extensions["amf"].store
    settings = amf_app.extensions["amf"].settings
    data = store.load_session(
        cookie.value, time.time(), settings.session_idle_seconds, settings.session_absolute_seconds
    )
    assert data is not None
    return store, cookie.value, data


def test_a_response_altered_in_the_session_store_is_shown_invalid(
    journey: Journey, esm_person: Person, amf_app: Flask, amf: FlaskClient
) -> None:
    journey.sign_in(esm_person)
    name_id = field(journey.page("/transmis").get_data(as_text=True), "name-id")
    store, token, data = _stored(amf_app, amf)
    # The assertion is put back in clear, one attribute changed: a forged assertion anyone
    # could post (the site's certificate, to encrypt it, is public anyway).
    root = etree.fromstring(base64.b64decode(data["saml_response"]))
    assert decrypt_assertions(root, amf_app.extensions["amf"].sp.keys.key_file) == 1
    [neq] = root.iterfind(f".//{SAML}Attribute[@Name='{ENTERPRISE_NEQ}']/{SAML}AttributeValue")
    neq.text = "9999999999"
    data["saml_response"] = base64.b64encode(etree.tostring(root)).decode()
    assert store.update_session(token, data, time.time())

    page = page_of(journey)

    state, line = verdict(page)
    assert state == "invalid"
    assert line.startswith("INVALIDE — réponse SAML : la réponse a été modifiée après sa signature")
    problems = {
        str(p.get("data-problem")): p.text_content() for p in page.xpath("//*[@data-problem]")
    }
    assert set(problems) == {"altered"}
    altered = [p.text_content() for p in page.xpath("//*[@data-problem='altered']")]
    assert any("L'assertion a été modifiée après sa signature" in text for text in altered)
    assert any("La réponse a été modifiée après sa signature" in text for text in altered)
    for covers in ("response", "assertion"):
        assert page.xpath(f"//dl[@data-signature='{covers}' and @data-status='invalid']")
    # What the forged assertion claims is still shown, and explained.
    assert text_of(page, f"//tr[@data-item='{ENTERPRISE_NEQ}']/td[1]") == "9999999999"
    assert text_of(page, "//*[@data-field='name-id']") == name_id


def test_an_altered_response_around_a_genuine_assertion_is_named_once(
    journey: Journey, esm_person: Person, amf_app: Flask, amf: FlaskClient
) -> None:
    journey.sign_in(esm_person)
    store, token, data = _stored(amf_app, amf)
    root = etree.fromstring(base64.b64decode(data["saml_response"]))
    # An attribute the Response may carry, added after it was signed.
    root.set("Consent", "urn:oasis:names:tc:SAML:2.0:consent:obtained")
    data["saml_response"] = base64.b64encode(etree.tostring(root)).decode()
    assert store.update_session(token, data, time.time())

    page = page_of(journey)

    state, line = verdict(page)
    assert state == "invalid"
    # Only the Response's own signature fails; decrypting the assertion (which also changes
    # what that signature covers) adds no second finding.
    assert line.startswith("INVALIDE — réponse SAML : la réponse a été modifiée après sa signature")
    assert "autre problème" not in line
    assert [p.get("data-problem") for p in page.xpath("//*[@data-problem]")] == ["altered"]
    assert page.xpath("//dl[@data-signature='response' and @data-status='invalid']")
    assert page.xpath("//dl[@data-signature='assertion' and @data-status='valid']")
    assert attribute_explanation(page, ENTERPRISE_NEQ) == NEQ_FR
