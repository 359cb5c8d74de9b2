"""A citizen's applications: the form and its checks, the review, the submission and
« Mes demandes »."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import lxml.html
import pytest
from flask import Flask

from demo_rp.pesticides.applications import confirmation_number
from demo_rp.pesticides.extensions import services
from demo_rp.pesticides.forms import age_on, validate
from tests.demo_rp.pesticides.conftest import OTHER_CITIZEN, ProviderStandIn, Visitor

TODAY = date(2026, 6, 15)

VALID = {
    "category": "farm",
    "street_address": "123, rang Saint-Joseph",
    "municipality": "Saint-Hyacinthe",
    "postal_code": "j2s 1a1",
    "telephone": "(450) 555-0123",
    "birth_date": "1975-04-23",
    "attestation_number": "1234 5678",
    "declaration": "oui",
}


def page(response: Any) -> Any:
    return lxml.html.fromstring(response.get_data(as_text=True))


def text(element: Any) -> str:
    return " ".join(element.text_content().split())


# -- the checks, one by one -------------------------------------------------------------------


def test_a_valid_application_is_cleaned_up() -> None:
    result = validate(VALID, TODAY)

    assert result.valid
    assert result.values == {
        "category": "farm",
        "street_address": "123, rang Saint-Joseph",
        "municipality": "Saint-Hyacinthe",
        "postal_code": "J2S 1A1",
        "telephone": "450 555-0123",
        "birth_date": "1975-04-23",
        "attestation_number": "12345678",
        "declaration": "oui",
    }


def test_the_result_says_nothing_personal_when_logged() -> None:
    result = validate({**VALID, "postal_code": "Z9Z 9Z9"}, TODAY)

    assert "Saint-Hyacinthe" not in repr(result)
    assert "Z9Z" not in repr(result)
    assert "postal_code" in repr(result)


@pytest.mark.parametrize(
    ("name", "typed", "error"),
    [
        ("category", "", "error_category_required"),
        ("category", "golf", "error_category_invalid"),
        ("street_address", "", "error_street_address_required"),
        ("street_address", "12", "error_street_address_length"),
        ("street_address", "1" * 121, "error_street_address_length"),
        ("municipality", " ", "error_municipality_required"),
        ("municipality", "X", "error_municipality_length"),
        ("postal_code", "", "error_postal_code_required"),
        ("postal_code", "12345", "error_postal_code_format"),
        ("postal_code", "D2S 1A1", "error_postal_code_format"),  # D is never used
        ("postal_code", "W2S 1A1", "error_postal_code_format"),  # nor W first
        ("postal_code", "J2S 1A", "error_postal_code_format"),
        ("telephone", "", "error_telephone_required"),
        ("telephone", "555-0123", "error_telephone_format"),
        ("telephone", "150 555-0123", "error_telephone_format"),
        ("telephone", "450 055-0123", "error_telephone_format"),
        ("telephone", "450 555-01234", "error_telephone_format"),
        ("birth_date", "", "error_birth_date_required"),
        ("birth_date", "23/04/1975", "error_birth_date_format"),
        ("birth_date", "1975-02-30", "error_birth_date_format"),
        ("birth_date", "2026-06-16", "error_birth_date_future"),
        ("birth_date", "1899-12-31", "error_birth_date_too_old"),
        ("birth_date", "2008-06-16", "error_birth_date_minor"),
        ("attestation_number", "", "error_attestation_number_required"),
        ("attestation_number", "1234567", "error_attestation_number_format"),
        ("attestation_number", "ABCD5678", "error_attestation_number_format"),
        ("declaration", "", "error_declaration_required"),
        ("declaration", "yes", "error_declaration_required"),
    ],
)
def test_each_wrong_field_is_named(name: str, typed: str, error: str) -> None:
    result = validate({**VALID, name: typed}, TODAY)

    assert result.errors == {name: error}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("J2S1A1", "J2S 1A1"), ("h3z-2y7", "H3Z 2Y7"), (" G1R\u00a04P5 ", "G1R 4P5")],
)
def test_postal_codes_are_read_as_people_type_them(typed: str, stored: str) -> None:
    assert validate({**VALID, "postal_code": typed}, TODAY).values["postal_code"] == stored


@pytest.mark.parametrize(
    "typed", ["450-555-0123", "4505550123", "+1 450 555 0123", "1 (450) 555.0123"]
)
def test_telephone_numbers_are_read_as_people_type_them(typed: str) -> None:
    assert validate({**VALID, "telephone": typed}, TODAY).values["telephone"] == "450 555-0123"


def test_of_age_on_the_eighteenth_birthday() -> None:
    assert validate({**VALID, "birth_date": "2008-06-15"}, TODAY).valid
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_confirmation_number_is_the_year_in_quebec_and_the_row() -> None:
    # 2027-01-01 03:00 UTC is still 2026 in Québec.
    assert confirmation_number(datetime(2027, 1, 1, 3, tzinfo=UTC), 123) == "PC-2026-000123"


# -- the form in the browser ------------------------------------------------------------------


def test_the_form_is_accessible(citizen: Visitor) -> None:
    html = page(citizen.client.get("/demandes/nouvelle"))

    for name in ("street_address", "municipality", "postal_code", "telephone", "birth_date"):
        [field] = html.xpath(f"//input[@id='{name}']")
        assert html.xpath(f"//label[@for='{name}']"), name
        assert f"{name}-hint" in field.get("aria-describedby")
        assert html.xpath(f"//*[@id='{name}-hint']"), name
    [first_radio] = html.xpath("(//input[@type='radio'])[1]")
    assert first_radio.get("id") == "category"  # where the error summary links
    assert len(html.xpath("//input[@name='category']")) == 3
    assert html.xpath("//input[@id='declaration' and @type='checkbox']")
    assert html.xpath("//input[@id='telephone' and @type='tel' and @autocomplete='tel-national']")
    assert html.xpath("//input[@id='postal_code' and @autocomplete='postal-code']")
    assert not html.xpath("//*[contains(@class, 'error-summary')]")


def test_errors_are_listed_linked_to_their_fields_and_nothing_typed_is_lost(
    citizen: Visitor,
) -> None:
    typed = {
        **VALID,
        "postal_code": "12345",
        "birth_date": "2015-01-01",
        "attestation_number": "12",
        "declaration": "",
    }

    response = citizen.form("/demandes/nouvelle", typed)

    assert response.status_code == 400
    html = page(response)
    assert text(html.xpath("//title")[0]).startswith("Erreur : Nouvelle demande")
    [summary] = html.xpath("//div[contains(@class, 'error-summary')]")
    assert summary.get("role") == "alert"
    assert summary.get("autofocus") is not None
    links = {a.get("href"): text(a) for a in summary.xpath(".//a")}
    assert list(links) == ["#postal_code", "#birth_date", "#attestation_number", "#declaration"]
    assert links["#postal_code"] == (
        "Code postal : Entrez un code postal canadien, par exemple J2S 1A1."
    )
    assert "majeur" in links["#birth_date"]
    for name in ("postal_code", "birth_date", "attestation_number", "declaration"):
        [field] = html.xpath(f"//*[@id='{name}']")
        assert field.get("aria-invalid") == "true"
        assert f"{name}-error" in field.get("aria-describedby")
        assert html.xpath(f"//*[@id='{name}-error']")
    # Everything typed comes back as typed.
    for name in ("street_address", "municipality", "postal_code", "telephone", "birth_date"):
        assert html.xpath(f"//input[@id='{name}']")[0].get("value") == typed[name]
    assert html.xpath("//input[@id='attestation_number']")[0].get("value") == "12"
    assert html.xpath("//input[@name='category' and @value='farm']")[0].get("checked") is not None
    assert html.xpath("//input[@id='declaration']")[0].get("checked") is None


def test_errors_in_english(citizen: Visitor) -> None:
    citizen.client.get("/langue/en")

    response = citizen.form("/demandes/nouvelle", {**VALID, "category": ""})

    html = page(response)
    [link] = html.xpath("//div[contains(@class, 'error-summary')]//a")
    assert text(link) == "Certificate category: Choose the certificate category."
    assert text(html.xpath("//title")[0]).startswith("Error: New certificate application")


def test_every_field_missing(citizen: Visitor) -> None:
    response = citizen.form("/demandes/nouvelle", {})

    links = page(response).xpath("//div[contains(@class, 'error-summary')]//a/@href")
    assert links == [
        "#category",
        "#street_address",
        "#municipality",
        "#postal_code",
        "#telephone",
        "#birth_date",
        "#attestation_number",
        "#declaration",
    ]


def test_the_form_needs_a_signed_in_citizen(client: Any, provider: ProviderStandIn) -> None:
    for path in ("/demandes", "/demandes/nouvelle", "/demandes/nouvelle/verification"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
    assert "Connectez-vous pour accéder à cette page." in client.get("/").get_data(as_text=True)


# -- review, submission, confirmation ---------------------------------------------------------


def submit(visitor: Visitor, values: dict[str, str] | None = None) -> Any:
    """The form, the review page, « Soumettre »: the confirmation page."""
    sent = visitor.form("/demandes/nouvelle", values or VALID)
    assert sent.status_code == 302, sent.get_data(as_text=True)[:3000]
    assert sent.headers["Location"] == "/demandes/nouvelle/verification"
    done = visitor.form("/demandes/nouvelle/soumettre", {}, page=sent.headers["Location"])
    assert done.status_code == 302
    return visitor.client.get(done.headers["Location"])


def test_review_shows_everything_before_submitting(citizen: Visitor) -> None:
    citizen.form("/demandes/nouvelle", VALID)

    response = citizen.client.get("/demandes/nouvelle/verification")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vérifiez votre demande" in html
    for shown in (
        "Gabrielle Fortin",
        "gabrielle.fortin@example.com",
        "Application en milieu agricole, sur ma propre exploitation",
        "123, rang Saint-Joseph",
        "Saint-Hyacinthe",
        "J2S 1A1",
        "450 555-0123",
        "23 avril 1975",
        "12345678",
        "Acceptée",
    ):
        assert shown in html, shown
    assert 'action="/demandes/nouvelle/soumettre"' in html
    assert ">Soumettre</button>" in html
    assert services_count(citizen) == 0  # nothing stored before « Soumettre »


def test_change_brings_the_values_back_into_the_form(citizen: Visitor) -> None:
    citizen.form("/demandes/nouvelle", VALID)

    html = page(citizen.client.get("/demandes/nouvelle"))

    assert html.xpath("//input[@id='postal_code']")[0].get("value") == "J2S 1A1"
    assert html.xpath("//input[@id='declaration']")[0].get("checked") is not None


def test_submission_stores_the_application_with_a_confirmation_number(
    citizen: Visitor, site: Flask
) -> None:
    confirmation = submit(citizen)

    html = page(confirmation)
    assert confirmation.status_code == 200
    assert "Demande soumise" in text(html)
    [number] = html.xpath("//*[@data-number]")
    assert number.get("data-number") == confirmation_number(datetime.now(UTC), 1)
    assert "gabrielle.fortin@example.com" in text(html)
    with site.app_context():
        [stored] = services().applications.for_person("citizen-pairwise-4f2a")
    assert stored.number == number.get("data-number")
    assert stored.applicant_name == "Gabrielle Fortin"
    assert stored.postal_code == "J2S 1A1"
    assert stored.status == "submitted"


def test_submitting_twice_stores_once(citizen: Visitor) -> None:
    submit(citizen)

    again = citizen.form("/demandes/nouvelle/soumettre", {}, page="/demandes")

    assert again.status_code == 302
    assert again.headers["Location"] == "/demandes"
    assert "Aucune demande n&#39;attend d&#39;être soumise" in citizen.client.get(
        "/demandes"
    ).get_data(as_text=True)
    assert services_count(citizen) == 1


def test_submission_without_csrf_token_is_refused(citizen: Visitor) -> None:
    citizen.form("/demandes/nouvelle", VALID)

    response = citizen.client.post("/demandes/nouvelle/soumettre")

    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    assert services_count(citizen) == 0


def test_my_applications_lists_the_citizens_own(
    citizen: Visitor, site: Flask, provider: ProviderStandIn
) -> None:
    first = page(submit(citizen)).xpath("//*[@data-number]/@data-number")[0]
    second = page(submit(citizen, {**VALID, "category": "woodlot"})).xpath(
        "//*[@data-number]/@data-number"
    )[0]

    html = page(citizen.client.get("/demandes"))

    rows = html.xpath("//tr[@data-application]")
    assert [row.get("data-application") for row in rows] == [second, first]
    assert "Soumise" in text(rows[0])
    assert "Application en milieu forestier, sur mon propre boisé" in text(rows[0])
    assert re.search(r"\d{4} à \d{1,2} h \d{2}", text(rows[0]))  # the date of submission
    detail = citizen.client.get(f"/demandes/{first}")
    assert detail.status_code == 200
    assert first in detail.get_data(as_text=True)

    # Another citizen (another sub) sees none of them, and cannot open them.
    other = Visitor(site.test_client(), provider)
    provider.citizen = dict(OTHER_CITIZEN)
    other.sign_in()
    assert page(other.client.get("/demandes")).xpath("//tr[@data-application]") == []
    assert "Vous n&#39;avez soumis aucune demande" in other.client.get("/demandes").get_data(
        as_text=True
    )
    assert other.client.get(f"/demandes/{first}").status_code == 404
    assert other.client.get(f"/demandes/{first}/confirmation").status_code == 404


def test_my_applications_in_english(citizen: Visitor) -> None:
    submit(citizen)
    citizen.client.get("/langue/en")

    html = citizen.client.get("/demandes").get_data(as_text=True)

    assert "My applications" in html
    assert "Hello, Gabrielle Fortin." in html
    assert "Submitted" in html
    assert "Agricultural application, on my own farm" in html


def services_count(visitor: Visitor) -> int:
    app = visitor.client.application
    with app.app_context(), services().database.connect() as db:
        return int(db.execute("SELECT COUNT(*) FROM applications").fetchone()[0])
