"""The registration pages: the ESM's list and form, the ministry operator's queue and decision."""

from __future__ import annotations

import dataclasses
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from idp.accounts.models import AccountRole
from idp.accounts.services import create_account
from idp.extensions import db
from idp.mailbox.models import MailboxMessage
from idp.ministries.catalogue import Catalogue, Ministry, Question, Right, Service
from idp.ministries.models import MinistryRegistration, RegistrationStatus
from idp.ministries.services import decide_registration, submit_registration
from tests.conftest import TEST_PASSWORD, Auth, Person, accept_conditions
from tests.proxies.conftest import ANSWERS

INDEX = "/entreprise/services"
QUEUE = "/ministere/inscriptions"


def body(response) -> str:
    """The page as text, entities decoded (names contain apostrophes)."""
    return unescape(response.get_data(as_text=True))


def register_path(ministry_key: str) -> str:
    return f"/entreprise/services/{ministry_key}/inscription"


def decide_path(registration_id: int) -> str:
    return f"/ministere/inscriptions/{registration_id}/decision"


def operator_person(runtime, ministry_key: str, name: str = "Nadia Bouchard") -> Person:
    """A ministry operator who can sign in with the test password."""
    new = create_account(
        db.session,
        runtime,
        enterprise=None,
        display_name=name,
        email=f"{name.split()[0].lower()}.{ministry_key}@gouv.example",
        role=AccountRole.MINISTRY_OPERATOR,
        ministry_key=ministry_key,
    )
    new.account.password_hash = runtime.hashing.hash(TEST_PASSWORD)
    new.account.must_change_password = False
    db.session.commit()
    accept_conditions(runtime, new.account)
    return Person(new.account, TEST_PASSWORD)


def submit(runtime, esm, ministry_key: str = "melccfp") -> MinistryRegistration:
    registration = submit_registration(
        db.session,
        runtime,
        esm,
        enterprise_id=esm.enterprise_id,
        ministry_key=ministry_key,
        answers=ANSWERS[ministry_key],
    )
    db.session.commit()
    return registration


def registrations_of(enterprise_id: int) -> list[MinistryRegistration]:
    return list(
        db.session.scalars(
            select(MinistryRegistration).where(MinistryRegistration.enterprise_id == enterprise_id)
        )
    )


def row_of(html: str, acronym: str) -> str:
    """The table row of a ministry on the list page."""
    match = re.search(
        rf'<tr>\s*<th scope="row"[^>]*>\s*<span class="svc-acronym">{acronym}</span>.*?</tr>',
        html,
        re.S,
    )
    assert match, f"no row for {acronym}"
    return match.group(0)


@pytest.fixture
def esm(factory) -> Person:
    return factory.person(name="Marie Tremblay")


@pytest.fixture
def second_auth(app, smtp) -> Auth:
    """A second browser, for the other side of the exchange."""
    return Auth(app.test_client(), smtp)


# -- the ESM's list ----------------------------------------------------------------------------


def test_the_list_shows_every_ministry_in_the_page_language(auth, esm, runtime):
    auth.sign_in(esm)
    french = body(auth.client.get(INDEX))
    english = body(auth.client.get(INDEX + "?lang=en"))
    for ministry in runtime.catalogue.ministries:
        assert ministry.name_fr in french
        assert ministry.name_en in english
        assert f'href="{register_path(ministry.key)}"' in french
    assert 'lang="fr"' in french
    assert "Not registered" in english


def test_the_list_shows_each_status_with_the_reason_of_a_refusal(auth, esm, runtime):
    registration = submit(runtime, esm.account, "melccfp")
    operator = operator_person(runtime, "melccfp")
    decide_registration(
        db.session, runtime, operator.account, registration, activate=False, reason="NEQ inconnu"
    )
    submit(runtime, esm.account, "amf")
    db.session.commit()
    auth.sign_in(esm)
    html = body(auth.client.get(INDEX + "?lang=en"))
    refused, pending = row_of(html, "MELCCFP"), row_of(html, "AMF")
    assert "Refused" in refused
    assert "NEQ inconnu" in refused
    assert "November 22, 2026" in refused  # the request date, in Québec
    assert f'href="{register_path("melccfp")}"' in refused  # a refused one may be sent again
    assert "In process" in pending
    assert "inscription" not in pending  # no register link while pending


# -- the ESM's registration form ---------------------------------------------------------------


def test_an_esm_registers_and_the_registration_is_in_process(auth, esm, runtime):
    auth.sign_in(esm)
    page = body(auth.client.get(register_path("melccfp")))
    assert "Nombre d'établissements de l'entreprise au Québec" in page
    assert "Number of the enterprise's establishments in Québec" in body(
        auth.client.get(register_path("melccfp") + "?lang=en")
    )
    response = auth.form_post(register_path("melccfp"), {"answer_establishment_count": " 3 "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(INDEX)
    (registration,) = registrations_of(esm.account.enterprise_id)
    assert registration.ministry_key == "melccfp"
    assert registration.status == RegistrationStatus.PENDING
    assert registration.answers == {"establishment_count": "3"}
    html = body(auth.client.get(INDEX + "?lang=en"))
    assert "In process" in row_of(html, "MELCCFP")
    assert "notice-success" in html


def test_a_pending_registration_cannot_be_sent_twice(auth, esm, runtime):
    submit(runtime, esm.account)
    auth.sign_in(esm)
    page = body(auth.client.get(register_path("melccfp") + "?lang=en"))
    assert "Send the request" not in page
    response = auth.form_post(
        register_path("melccfp") + "?lang=en", {"answer_establishment_count": "4"}, page="/"
    )
    html = body(response)
    assert response.status_code == 200
    assert "The enterprise is already registered for this ministry." in html
    (registration,) = registrations_of(esm.account.enterprise_id)
    assert registration.answers == ANSWERS["melccfp"]


def test_an_unknown_ministry_is_not_found(auth, esm):
    auth.sign_in(esm)
    assert auth.client.get(register_path("nope")).status_code == 404
    response = auth.form_post(register_path("nope"), {"answer_x": "1"}, page="/")
    assert response.status_code == 404
    assert registrations_of(esm.account.enterprise_id) == []


@pytest.fixture
def two_question_ministry(app, runtime, monkeypatch) -> Ministry:
    """A ministry asking two questions, added to the catalogue for one test."""
    ministry = Ministry(
        key="rq",
        acronym="RQ",
        name_fr="Revenu Québec",
        name_en="Revenu Québec (Revenue)",
        article_fr="",
        registration_questions=(
            Question(key="region", label_fr="Région", label_en="Region"),
            Question(key="file_number", label_fr="Numéro de dossier", label_en="File number"),
        ),
        services=(
            Service(
                key="file",
                name_fr="Mon dossier",
                name_en="My file",
                article_fr="",
                rights=(Right(id="rq.file.consult", label_fr="Consulter", label_en="Consult"),),
            ),
        ),
    )
    catalogue = Catalogue(ministries=(*runtime.catalogue.ministries, ministry))
    monkeypatch.setitem(
        app.extensions, "idp.runtime", dataclasses.replace(runtime, catalogue=catalogue)
    )
    return ministry


@pytest.mark.parametrize(
    ("file_number", "error"),
    [
        ("", "Answer the question: File number"),  # the form's check
        ("   ", "Answer every question of the ministry."),  # the service's check
    ],
)
def test_a_missing_answer_is_shown_and_the_other_answers_are_kept(
    auth, esm, two_question_ministry, file_number, error
):
    auth.sign_in(esm)
    response = auth.form_post(
        register_path("rq") + "?lang=en",
        {"answer_region": "Mauricie", "answer_file_number": file_number},
    )
    html = body(response)
    assert response.status_code == 200
    assert error in html
    assert '<a href="#answer_file_number">' in html  # the summary links to the field
    assert re.search(
        r'id="answer_region"[^>]*value="Mauricie"|value="Mauricie"[^>]*id="answer_region"', html
    )
    assert "<title>Error:" in html
    assert registrations_of(esm.account.enterprise_id) == []


# -- who may open the ESM pages ----------------------------------------------------------------


@pytest.mark.parametrize("role", [AccountRole.USER, AccountRole.AUTHORIZED_REPRESENTATIVE])
@pytest.mark.parametrize("path", [INDEX, register_path("melccfp")])
def test_only_an_esm_opens_the_registration_pages(auth, factory, role, path):
    person = factory.person(role=role, name="Jean Roy")
    auth.sign_in(person)
    assert auth.client.get(path).status_code == 403


@pytest.mark.parametrize("role", [AccountRole.USER, AccountRole.AUTHORIZED_REPRESENTATIVE])
def test_a_user_cannot_register_the_enterprise(auth, factory, role):
    person = factory.person(role=role, name="Jean Roy")
    auth.sign_in(person)
    response = auth.form_post(
        register_path("melccfp"), {"answer_establishment_count": "2"}, page="/"
    )
    assert response.status_code == 403
    assert registrations_of(person.account.enterprise_id) == []


def test_an_operator_cannot_open_the_esm_pages(auth, runtime):
    auth.sign_in(operator_person(runtime, "melccfp"))
    assert auth.client.get(INDEX).status_code == 403
    assert auth.client.get(register_path("melccfp")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in (INDEX, register_path("melccfp"), QUEUE):
        response = client.get(path)
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"]


def test_an_esm_never_sees_nor_changes_another_enterprise_registration(auth, factory, runtime):
    enterprise_a = factory.enterprise("Aciérie Saint-Laurent inc.")
    esm_a = factory.person(enterprise=enterprise_a, name="Marie Tremblay")
    enterprise_b = factory.enterprise("Boulangerie Beauce inc.")
    esm_b = factory.person(enterprise=enterprise_b, name="Paul Poulin")
    refused = submit(runtime, esm_b.account, "melccfp")
    decide_registration(
        db.session,
        runtime,
        operator_person(runtime, "melccfp").account,
        refused,
        activate=False,
        reason="Motif confidentiel de B",
    )
    pending = submit(runtime, esm_b.account, "amf")
    db.session.commit()

    auth.sign_in(esm_a)
    html = body(auth.client.get(INDEX))
    assert "Motif confidentiel de B" not in html
    assert "svc-status-refused" not in html
    assert "svc-status-pending" not in html
    # An id slipped into the form is ignored: the registration is the signed-in ESM's own.
    response = auth.form_post(
        register_path("amf"),
        {"answer_amf_client_number": "999", "enterprise_id": str(enterprise_b.id)},
    )
    assert response.status_code == 302
    # Nor can an ESM decide anything.
    assert (
        auth.form_post(decide_path(pending.id), {"decision": "activate"}, page="/").status_code
        == 403
    )

    db.session.expire_all()
    b_registrations = {r.ministry_key: r for r in registrations_of(enterprise_b.id)}
    assert b_registrations["melccfp"].status == RegistrationStatus.REFUSED
    assert b_registrations["amf"].status == RegistrationStatus.PENDING
    assert b_registrations["amf"].answers == ANSWERS["amf"]
    (own,) = registrations_of(enterprise_a.id)
    assert (own.ministry_key, own.answers) == ("amf", {"amf_client_number": "999"})


# -- the operator's queue and decision ---------------------------------------------------------


def test_the_operator_activates_and_the_enterprise_is_told(auth, second_auth, esm, runtime):
    auth.sign_in(esm)
    auth.form_post(register_path("melccfp"), {"answer_establishment_count": "2"})
    (registration,) = registrations_of(esm.account.enterprise_id)

    second_auth.sign_in(operator_person(runtime, "melccfp"))
    queue = body(second_auth.client.get(QUEUE + "?lang=en"))
    enterprise = esm.account.enterprise
    assert enterprise.legal_name in queue
    assert enterprise.neq in queue
    assert "Number of the enterprise's establishments in Québec" in queue
    assert f'action="{decide_path(registration.id)}"' in queue
    assert 'aria-current="page"' in queue  # the nav marks the queue

    response = second_auth.form_post(
        decide_path(registration.id), {"decision": "activate", "reason": ""}, page=QUEUE
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(QUEUE)
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.ACTIVE
    after = body(second_auth.client.get(QUEUE + "?lang=en"))
    assert "No registration is waiting for a decision." in after
    assert "Latest decisions" in after
    assert enterprise.legal_name in after

    assert "Active" in row_of(body(auth.client.get(INDEX + "?lang=en")), "MELCCFP")
    messages = body(auth.client.get("/messages?lang=en"))
    assert "Registration activated:" in messages


def test_a_refusal_needs_a_reason_and_the_reason_reaches_the_enterprise(
    auth, second_auth, esm, runtime
):
    registration = submit(runtime, esm.account)
    second_auth.sign_in(operator_person(runtime, "melccfp"))
    response = second_auth.form_post(
        decide_path(registration.id) + "?lang=en",
        {"decision": "refuse", "reason": "  "},
        page=QUEUE,
    )
    html = body(response)
    assert response.status_code == 200
    assert "Give the reason for the refusal." in html
    assert f'<a href="#reason-{registration.id}">' in html
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.PENDING

    response = second_auth.form_post(
        decide_path(registration.id),
        {"decision": "refuse", "reason": "Aucun établissement au registre"},
        page=QUEUE,
    )
    assert response.status_code == 302
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.REFUSED
    assert registration.decision_reason == "Aucun établissement au registre"
    auth.sign_in(esm)
    row = row_of(body(auth.client.get(INDEX)), "MELCCFP")
    assert "Aucun établissement au registre" in row
    inbox = body(auth.client.get("/messages"))
    link = re.search(r'href="(/messages/\d+)"', inbox)
    assert link, inbox
    assert "Aucun établissement au registre" in body(auth.client.get(link.group(1)))


def test_a_decision_form_with_errors_keeps_the_reason(second_auth, esm, runtime):
    registration = submit(runtime, esm.account)
    second_auth.sign_in(operator_person(runtime, "melccfp"))
    response = second_auth.form_post(
        decide_path(registration.id) + "?lang=en", {"reason": "Motif gardé"}, page=QUEUE
    )
    html = body(response)
    assert response.status_code == 200
    assert "Choose to activate or to refuse the registration." in html
    assert f'<a href="#decision-{registration.id}">' in html
    assert f'id="decision-{registration.id}"' in html
    assert re.search(rf'id="reason-{registration.id}"[^>]*>\s*Motif gardé</textarea>', html)
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.PENDING


def test_an_operator_of_another_ministry_cannot_see_nor_decide(second_auth, esm, runtime):
    registration = submit(runtime, esm.account, "melccfp")
    second_auth.sign_in(operator_person(runtime, "amf", name="Éric Lavoie"))
    queue = body(second_auth.client.get(QUEUE))
    assert esm.account.enterprise.legal_name not in queue
    response = second_auth.form_post(
        decide_path(registration.id), {"decision": "activate"}, page=QUEUE
    )
    assert response.status_code == 404
    assert (
        second_auth.form_post(decide_path(999999), {"decision": "activate"}, page=QUEUE).status_code
        == 404
    )
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.PENDING
    assert registration.decided_by_id is None


def test_a_decided_registration_is_not_decided_again(second_auth, esm, runtime):
    registration = submit(runtime, esm.account)
    second_auth.sign_in(operator_person(runtime, "melccfp"))
    second_auth.form_post(decide_path(registration.id), {"decision": "activate"}, page=QUEUE)
    response = second_auth.form_post(
        decide_path(registration.id) + "?lang=en",
        {"decision": "refuse", "reason": "Trop tard"},
        page=QUEUE,
        follow_redirects=True,
    )
    assert "This registration was already decided." in body(response)
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.ACTIVE
    assert registration.decision_reason is None


@pytest.mark.parametrize(
    "role", [AccountRole.ESM, AccountRole.USER, AccountRole.AUTHORIZED_REPRESENTATIVE]
)
def test_enterprise_accounts_cannot_open_the_operator_pages(auth, factory, runtime, role):
    owner = factory.person(name="Marie Tremblay")
    registration = submit(runtime, owner.account)
    person = factory.person(enterprise=owner.account.enterprise, role=role, name="Jean Roy")
    auth.sign_in(person)
    assert auth.client.get(QUEUE).status_code == 403
    response = auth.form_post(decide_path(registration.id), {"decision": "activate"}, page="/")
    assert response.status_code == 403
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.PENDING
    assert db.session.scalar(select(func.count(MinistryRegistration.id))) == 1


# -- names in sentences (idp/names.py) ---------------------------------------------------------


def test_pages_and_messages_put_the_names_in_french_sentences(auth, second_auth, esm, runtime):
    assert esm.account.enterprise.legal_name == "Aciérie Saint-Laurent inc."
    auth.sign_in(esm)
    sent = auth.form_post(
        register_path("amf"), {"answer_amf_client_number": "500123"}, follow_redirects=True
    )
    page = body(sent)
    assert "Votre demande a été transmise à l'Autorité des marchés financiers." in page
    assert "Inscriptions d'Aciérie Saint-Laurent inc." in page
    page = body(
        auth.form_post(
            register_path("melccfp"), {"answer_establishment_count": "2"}, follow_redirects=True
        )
    )
    assert "transmise au ministère de l'Environnement, de la Lutte contre" in page
    for broken in ("de Aciérie", "à Autorité", "à Ministère", "inc.."):
        assert broken not in page

    registration = next(
        r for r in registrations_of(esm.account.enterprise_id) if r.ministry_key == "melccfp"
    )
    second_auth.sign_in(operator_person(runtime, "melccfp"))
    decided = second_auth.form_post(
        decide_path(registration.id),
        {"decision": "activate", "reason": ""},
        page=QUEUE,
        follow_redirects=True,
    )
    assert "L'inscription d'Aciérie Saint-Laurent inc. est active." in body(decided)
    english = body(second_auth.client.get(QUEUE + "?lang=en"))
    assert (
        "The registration of Aciérie Saint-Laurent inc. is active." not in english
    )  # flashed once

    (notice,) = db.session.scalars(
        select(MailboxMessage).where(MailboxMessage.account_id == esm.account.id)
    )
    message = body(auth.client.get(f"/messages/{notice.id}"))
    assert "inscrite aux services en ligne du ministère de l'Environnement, de la Lutte" in message
    assert "registered for the online services of the Ministère de l'Environnement" in (
        notice.body_en
    )
    english = body(auth.client.get(INDEX + "?lang=en"))
    assert "Registrations of Aciérie Saint-Laurent inc." in english
