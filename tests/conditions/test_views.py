"""The conditions pages and the guard: shown after sign-in until accepted, in both languages."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.audit.tags import AuditAction
from idp.conditions.models import ConditionsAcceptance
from idp.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def answer(client, decision: str, path: str = "/conditions"):
    page = client.get(path)
    assert page.status_code == 200, page.headers.get("Location")
    return client.post(path, data={"decision": decision, "csrf_token": csrf_token(text(page))})


@pytest.fixture
def newcomer(factory):
    """An ESM created by the tests' factory who has not yet accepted the conditions."""
    return factory.person(accepted_conditions=False)


def test_sign_in_leads_to_the_conditions_page_in_french(auth, client, newcomer):
    done = auth.sign_in(newcomer)
    assert done.status_code == 302
    home = client.get(done.headers["Location"])
    assert home.status_code == 302
    assert home.headers["Location"] == "/conditions"
    page = text(client.get("/conditions"))
    assert "<h1>Conditions d'utilisation</h1>" in page
    assert "Confidentialité du code d'utilisateur et du mot de passe" in page
    assert "J'accepte" in page
    assert "Je refuse" in page
    assert "Version du 1 novembre 2026." in page or "Version du 1er novembre 2026." in page
    # No menu while the conditions wait: its pages would only lead back here.
    assert "Menu principal" not in page


def test_the_page_in_english(auth, client, newcomer):
    auth.sign_in(newcomer)
    page = text(client.get("/conditions?lang=en"))
    assert "<h1>Conditions of use</h1>" in page
    assert "Confidentiality of the user code and password" in page
    assert "I accept" in page
    assert "I decline" in page
    assert "Version of November 1, 2026." in page


def test_accepting_goes_on_to_where_the_person_was_going_and_is_recorded(
    auth, client, newcomer, clock
):
    auth.sign_in(newcomer)
    assert client.get("/entreprise/procurations").headers["Location"] == "/conditions"
    response = answer(client, "accept")
    assert response.status_code == 302
    assert response.headers["Location"] == "/entreprise/procurations"
    assert client.get("/entreprise/procurations").status_code == 200
    row = db.session.scalars(select(ConditionsAcceptance)).one()
    assert (row.account_id, row.portal, row.version) == (
        newcomer.account.id,
        "enterprise",
        "2026-11-01",
    )
    assert row.accepted_at == clock.now
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == str(AuditAction.CONDITIONS_ACCEPT))
    ).one()
    assert event.subject_account_id == newcomer.account.id
    assert event.client_ip is not None
    # The page stays readable, without the buttons.
    again = text(client.get("/conditions"))
    assert "Vous avez accepté cette version le" in again
    assert 'value="accept"' not in again


def test_accepting_without_a_page_waiting_goes_home(auth, client, newcomer):
    auth.sign_in(newcomer)
    response = answer(client, "accept")
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/entreprise/procurations",
        "/entreprise/utilisateurs",
        "/messages",
        "/services-connectes",
        "/verification",
    ],
)
def test_signed_in_pages_redirect_to_the_conditions_while_not_accepted(
    auth, client, newcomer, path
):
    auth.sign_in(newcomer)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/conditions"


def test_a_form_posted_elsewhere_goes_to_the_conditions_and_is_not_replayed(auth, client, newcomer):
    auth.sign_in(newcomer)
    page = client.get("/conditions")
    posted = client.post(
        "/entreprise/procurations/nouvelle", data={"csrf_token": csrf_token(text(page))}
    )
    assert posted.headers["Location"] == "/conditions"
    assert answer(client, "accept").headers["Location"] == "/"


@pytest.mark.parametrize(
    "path", ["/aide", "/static/css/app.css", "/conditions", "/langue/en?next=/conditions"]
)
def test_help_static_and_the_conditions_page_stay_open(auth, client, newcomer, path):
    auth.sign_in(newcomer)
    response = client.get(path)
    response.close()  # the static file's handle
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response.headers["Location"] == "/conditions"


def test_sign_out_stays_possible(auth, client, newcomer):
    auth.sign_in(newcomer)
    # The sign-out button of the page's header, on the help page.
    response = auth.form_post("/deconnexion", {}, page="/aide")
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    assert client.get("/conditions").headers["Location"].startswith("/connexion")


def test_declining_says_what_it_means_and_keeps_the_guard(auth, client, newcomer):
    auth.sign_in(newcomer)
    response = answer(client, "decline")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Vous avez refusé les conditions d'utilisation</h1>" in page
    assert "Sans les accepter, vous ne pouvez pas utiliser clicSÉQUR" in page
    assert 'href="/conditions"' in page
    assert 'action="/deconnexion"' in page
    assert db.session.scalars(select(ConditionsAcceptance)).all() == []
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == str(AuditAction.CONDITIONS_DECLINE))
    ).one()
    assert event.details["version"] == "2026-11-01"
    assert client.get("/").headers["Location"] == "/conditions"
    # Changing one's mind: accept later.
    assert answer(client, "accept").headers["Location"] == "/"


def test_a_forged_decision_is_no_answer(auth, client, newcomer):
    auth.sign_in(newcomer)
    response = answer(client, "maybe")
    assert response.status_code == 200
    assert 'value="accept"' in text(response)
    assert db.session.scalars(select(ConditionsAcceptance)).all() == []


def test_the_csrf_token_is_required(auth, client, newcomer):
    auth.sign_in(newcomer)
    response = client.post("/conditions", data={"decision": "accept"})
    assert response.status_code == 400
    assert db.session.scalars(select(ConditionsAcceptance)).all() == []


def test_the_page_needs_a_sign_in(client):
    response = client.get("/conditions")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_a_person_who_accepted_goes_straight_through(auth, client, person):
    done = auth.sign_in(person)
    assert client.get(done.headers["Location"]).status_code == 200


def test_a_new_version_is_shown_at_the_next_visit_as_a_change(auth, client, person, publisher):
    auth.sign_in(person)
    assert client.get("/").status_code == 200
    publisher.publish("enterprise", "2099-01-01")
    assert client.get("/").headers["Location"] == "/conditions"
    page = text(client.get("/conditions"))
    assert "Nouvelle version" in page
    assert "Les conditions d'utilisation ont changé depuis que vous les avez acceptées." in page
    assert answer(client, "accept").headers["Location"] == "/"
    versions = db.session.scalars(
        select(ConditionsAcceptance.version).order_by(ConditionsAcceptance.version)
    ).all()
    assert versions == ["2026-11-01", "2099-01-01"]


def test_a_new_citizen_version_does_not_concern_enterprise_accounts(
    auth, client, person, publisher
):
    auth.sign_in(person)
    publisher.publish("citizen", "2099-01-01")
    assert client.get("/").status_code == 200


def test_a_forced_password_change_comes_before_the_conditions(auth, client, factory):
    newcomer = factory.person(temporary=True, accepted_conditions=False)
    done = auth.sign_in(newcomer)
    assert done.headers["Location"] == "/mot-de-passe"
    assert client.get("/conditions").headers["Location"] == "/mot-de-passe"
    page = client.get("/mot-de-passe")
    changed = client.post(
        "/mot-de-passe",
        data={
            "new_password": TEST_PASSWORD,
            "confirm_password": TEST_PASSWORD,
            "csrf_token": csrf_token(text(page)),
        },
    )
    assert changed.status_code == 302
    assert client.get(changed.headers["Location"]).headers["Location"] == "/conditions"
    assert answer(client, "accept").headers["Location"] == "/"


def test_an_enterprise_account_is_not_shown_the_citizens_conditions(auth, client, person):
    auth.sign_in(person)
    response = client.get("/citoyens/conditions")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
