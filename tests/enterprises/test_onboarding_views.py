"""The public registration pages: three steps, one neutral message, nothing lost."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from idp.enterprises.models import EnterpriseApplication, EnterpriseStatus
from idp.extensions import db
from tests.conftest import csrf_token

START = "/inscription-entreprise"
REPRESENTATIVE = f"{START}/representant"
REVIEW = f"{START}/confirmation"
RECEIVED = f"{START}/recue"

ENTERPRISE_FORM = {
    "neq": "1190 000 005",
    "legal_name": "Boulangerie du Vieux-Port inc.",
    "legal_form": "business_corporation",
}
REPRESENTATIVE_FORM = {
    "first_name": "Chantal",
    "last_name": "Pelletier",
    "position": "Présidente",
    "email": "chantal.pelletier@boulangerie.example",
    "telephone": "418 555-0199",
    "extension": "",
}


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def post(client, path: str, data: dict, lang: str = "fr"):
    token = csrf_token(client.get(f"{path}?lang={lang}").get_data(as_text=True))
    return client.post(f"{path}?lang={lang}", data={**data, "csrf_token": token})


def test_an_enterprise_registers_in_three_steps(client, smtp):
    page = text(client.get(f"{START}?lang=fr"))
    assert "Inscrire une entreprise" in page
    assert "Étape 1 sur 3" in page
    response = post(client, START, ENTERPRISE_FORM)
    assert response.headers["Location"].endswith(REPRESENTATIVE)
    response = post(client, REPRESENTATIVE, REPRESENTATIVE_FORM)
    assert response.headers["Location"].endswith(REVIEW)
    review = text(client.get(REVIEW))
    assert "1190000005" in review
    assert "Société par actions" in review
    assert "Présidente" in review
    refused = post(client, REVIEW, {})
    assert refused.status_code == 200
    assert "Cochez la case pour accepter les conditions d'utilisation." in text(refused)
    response = post(client, REVIEW, {"accept_conditions": "y"})
    assert response.headers["Location"].endswith(RECEIVED)
    assert "chantal.pelletier@boulangerie.example" in text(client.get(RECEIVED))
    [application] = db.session.scalars(select(EnterpriseApplication)).all()
    assert application.enterprise.status == EnterpriseStatus.PENDING_ACTIVATION
    assert smtp.count_to("chantal.pelletier@boulangerie.example") == 1


def test_the_pages_are_in_english_too(client):
    page = text(client.get(f"{START}?lang=en"))
    assert "Register an enterprise" in page
    assert "Step 1 of 3" in page
    response = post(client, START, {**ENTERPRISE_FORM, "legal_name": "Wrong inc."}, lang="en")
    assert "This enterprise cannot be registered with this information." in text(response)


def test_a_wrong_fact_gives_one_message_and_keeps_what_was_typed(client):
    response = post(client, START, {**ENTERPRISE_FORM, "legal_form": "cooperative"})
    page = text(response)
    assert response.status_code == 200
    assert "Cette entreprise ne peut pas être inscrite avec ces renseignements." in page
    assert 'value="Boulangerie du Vieux-Port inc."' in page
    wrong_neq = text(post(client, START, {**ENTERPRISE_FORM, "neq": "1190000099"}))
    assert "Cette entreprise ne peut pas être inscrite avec ces renseignements." in wrong_neq


def test_a_malformed_neq_is_named_on_its_field(client):
    page = text(post(client, START, {**ENTERPRISE_FORM, "neq": "12345"}))
    assert 'id="neq-error"' in page


def test_the_later_steps_need_the_earlier_ones(client):
    assert client.get(REPRESENTATIVE).headers["Location"].endswith(START)
    assert client.get(REVIEW).headers["Location"].endswith(START)
    assert client.get(RECEIVED).headers["Location"].endswith(START)


def test_the_representative_errors_are_shown_on_their_fields(client):
    post(client, START, ENTERPRISE_FORM)
    page = text(post(client, REPRESENTATIVE, {**REPRESENTATIVE_FORM, "telephone": "555"}))
    assert 'id="telephone-error"' in page
    assert 'value="Présidente"' in page


def test_the_sign_in_page_links_to_the_registration(client):
    assert f'href="{START}"' in text(client.get("/connexion"))


def test_the_conditions_page(client):
    assert "Conditions d'utilisation de clicSÉQUR" in text(client.get(f"{START}/conditions"))
