"""An operator files the annual report; a verifier of the consulting firm approves it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from demo_rp.iqea.extensions import services
from demo_rp.iqea.reports import Status
from tests.demo_rp.iqea.conftest import Visitor

LAST_YEAR = datetime.now(UTC).year - 1
REPORT = {
    "establishment_name": "Aciérie de Contrecœur",
    "establishment_count": "2",
    "co2_tonnes": "125 430,5",
    "nox_tonnes": "212.75",
    "particulate_tonnes": "18",
}


def file_report(operator: Visitor, action: str, **changes: str) -> Any:
    return operator.form(f"/declarations/{LAST_YEAR}", {**REPORT, **changes, "action": action})


def test_operator_prepares_saves_and_submits_the_annual_report(
    operator: Visitor, site: Any, world: Any
) -> None:
    operator.sign_in()
    listing = operator.client.get("/declarations").get_data(as_text=True)
    assert "Aucune déclaration pour le moment." in listing

    chosen = operator.form("/declarations/nouvelle", {"year": str(LAST_YEAR)}, page="/declarations")
    assert chosen.headers["Location"] == f"/declarations/{LAST_YEAR}"

    saved = file_report(operator, "save", nox_tonnes="", particulate_tonnes="")
    assert saved.status_code == 302
    draft = operator.client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Le brouillon est enregistré." in draft
    assert 'value="Aciérie de Contrecœur"' in draft
    assert 'value="125\u202f430,5"' in draft  # as typed in French

    submitted = file_report(operator, "submit")
    assert submitted.headers["Location"] == "/declarations"
    listing = operator.client.get("/declarations").get_data(as_text=True)
    assert "La déclaration est transmise au Ministère." in listing
    assert "Transmise" in listing

    with site.app_context():
        report = services().reports.get(world.emitter.neq, LAST_YEAR)
    assert report is not None
    assert report.status == Status.SUBMITTED
    assert report.values == {
        "establishment_name": "Aciérie de Contrecœur",
        "establishment_count": "2",
        "co2_tonnes": "125430.5",
        "nox_tonnes": "212.75",
        "particulate_tonnes": "18",
    }
    assert report.submitted_by_name == "Jean Roy"
    # Once submitted, it is shown, not editable, and a change is refused.
    view = operator.client.get(f"/declarations/{LAST_YEAR}").get_data(as_text=True)
    assert "125\u202f430,5 t" in view
    assert 'name="establishment_name"' not in view
    refused = file_report(operator, "save", co2_tonnes="1")
    assert refused.status_code == 302
    with site.app_context():
        unchanged = services().reports.get(world.emitter.neq, LAST_YEAR)
    assert unchanged is not None
    assert unchanged.values["co2_tonnes"] == "125430.5"


def test_invalid_values_are_explained_and_nothing_typed_is_lost(operator: Visitor) -> None:
    operator.sign_in()

    response = file_report(
        operator,
        "submit",
        establishment_name="",
        establishment_count="deux",
        co2_tonnes="-4",
        nox_tonnes="1,23456",
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Corrigez les erreurs suivantes" in html
    assert "Entrez le nom de l&#39;établissement principal." in html
    assert "doit être un nombre entier" in html
    assert "Entrez un nombre positif de tonnes" in html
    assert "Entrez au plus trois décimales." in html
    assert 'value="deux"' in html
    assert 'value="-4"' in html
    assert 'value="1,23456"' in html
    assert 'value="18"' in html
    assert html.count('aria-invalid="true"') == 4

    english = operator.client.post(
        f"/declarations/{LAST_YEAR}?lang=en",
        data={**REPORT, "establishment_count": "0", "action": "submit", "csrf_token": csrf(html)},
    ).get_data(as_text=True)
    assert "The number of establishments must be between 1 and 9,999." in english


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_a_year_outside_those_offered_is_refused(operator: Visitor) -> None:
    operator.sign_in()

    response = operator.form("/declarations/nouvelle", {"year": "1990"}, page="/declarations")

    assert response.status_code == 400
    assert "Choisissez l&#39;une des années proposées." in response.get_data(as_text=True)
    assert operator.client.get("/declarations/1990").status_code == 404


def test_verifier_of_the_consulting_firm_approves_the_submitted_report(
    operator: Visitor, verifier: Visitor, site: Any, world: Any
) -> None:
    operator.sign_in()
    file_report(operator, "submit")

    home = verifier.sign_in().get_data(as_text=True)
    assert "Bonjour, Karim Haddad" in home
    assert "Aciérie Saint-Laurent inc." in home
    assert "pour le compte de Conseils Verts Québec inc." in home
    assert world.firm.neq in home
    assert "Procuration externe no" in home
    assert "Identification du vérificateur" in home
    assert "Déclarer les émissions atmosphériques" not in home

    listing = verifier.client.get("/verification").get_data(as_text=True)
    assert "Aciérie de Contrecœur" in listing
    assert "Examiner et approuver" in listing
    page = verifier.client.get(f"/declarations/{LAST_YEAR}?de=verification")
    html = page.get_data(as_text=True)
    assert "Approuver la déclaration" in html
    assert "Karim Haddad, pour le compte de Conseils Verts Québec inc." in html

    approved = verifier.form(
        f"/declarations/{LAST_YEAR}/approbation",
        {},
        page=f"/declarations/{LAST_YEAR}?de=verification",
    )

    assert approved.status_code == 302
    after = verifier.client.get(approved.headers["Location"]).get_data(as_text=True)
    assert "La déclaration est approuvée." in after
    assert "Approuvée par Karim Haddad (Conseils Verts Québec inc.)" in after
    with site.app_context():
        report = services().reports.get(world.emitter.neq, LAST_YEAR)
    assert report is not None
    assert report.status == Status.APPROVED
    assert report.approved_by_name == "Karim Haddad"
    assert report.approved_by_agent_neq == world.firm.neq
    assert report.approved_at is not None
    # The operator sees who approved it.
    seen = operator.client.get(f"/declarations/{LAST_YEAR}").get_data(as_text=True)
    assert "Approuvée par Karim Haddad (Conseils Verts Québec inc.)" in seen


def test_verifier_neither_edits_nor_sees_drafts(operator: Visitor, verifier: Visitor) -> None:
    operator.sign_in()
    file_report(operator, "save")
    verifier.sign_in()

    assert "Aciérie de Contrecœur" not in verifier.client.get("/verification").get_data(
        as_text=True
    )
    assert verifier.client.get(f"/declarations/{LAST_YEAR}").status_code == 404
    assert verifier.client.get("/declarations").status_code == 403
    edit = verifier.form(
        f"/declarations/{LAST_YEAR}",
        {**REPORT, "action": "submit"},
        page="/verification",
    )
    assert edit.status_code == 403


def test_operator_cannot_approve(operator: Visitor) -> None:
    operator.sign_in()
    file_report(operator, "submit")

    page = operator.client.get("/verification")
    refused = operator.form(f"/declarations/{LAST_YEAR}/approbation", {}, page="/declarations")

    assert page.status_code == 403
    assert refused.status_code == 403
    html = refused.get_data(as_text=True)
    assert "Identification du vérificateur" in html
    assert "Demandez-le au responsable des services électroniques" in html


def test_verifier_of_the_second_client_sees_only_that_enterprise(
    operator: Visitor, visitors: Any, world: Any, second_client: Any
) -> None:
    from tests.conftest import TEST_PASSWORD, Person

    operator.sign_in()
    file_report(operator, "submit")
    other = visitors(Person(world.consultant, TEST_PASSWORD), second_client.legal_name)

    home = other.sign_in().get_data(as_text=True)

    assert "Papetière Boréale inc." in home
    listing = other.client.get("/verification").get_data(as_text=True)
    assert "Aucune déclaration transmise pour le moment." in listing
    assert other.client.get(f"/declarations/{LAST_YEAR}").status_code == 404
