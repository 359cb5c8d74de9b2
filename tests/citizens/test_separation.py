"""The two portals never mix: a citizen account opens no enterprise page and signs in only at
clicSÉQUR – Citoyens, an enterprise account the reverse, even sharing one email address."""

from __future__ import annotations

import pytest

from idp.accounts.models import AccountRole
from idp.accounts.sessions import EndReason
from idp.extensions import db
from tests.citizens.conftest import OLIVIER, error_text, live_session, sessions_of
from tests.conftest import TEST_PASSWORD

GENERIC = (
    "The user code or the password is not right, or the account cannot be used. "
    "Check them and try again."
)
TO_ENTERPRISES = "That page belongs to clicSÉQUR – Entreprises. You are signed in with a citizen"
TO_CITIZENS = "That page belongs to clicSÉQUR – Citoyens. You are signed in with an enterprise"

ENTERPRISE_PAGES = [
    "/",
    "/mot-de-passe",
    "/services-connectes",
    "/messages",
    "/entreprise/utilisateurs",
    "/entreprise/utilisateurs/nouveau",
    "/entreprise/procurations",
    "/entreprise/procurations/nouvelle",
    "/entreprise/historique",
    "/entreprise/services",
    "/ministere/inscriptions",
]
CITIZEN_PAGES = [
    "/citoyens/",
    "/citoyens/compte/mot-de-passe",
    "/citoyens/compte/courriel",
    "/citoyens/compte/questions",
    "/citoyens/compte/fermer",
]


@pytest.fixture
def esm(factory):
    return factory.person(role=AccountRole.ESM)


# -- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*ENTERPRISE_PAGES, "/entreprise/utilisateurs/{id}"])
def test_a_citizen_never_gets_an_enterprise_page(browser, citizen, path):
    browser.language("en")
    browser.sign_in(citizen)

    response = browser.client.get(path.format(id=citizen.id))

    assert response.status_code == 302
    assert response.headers["Location"] == "/citoyens/"
    home = browser.client.get("/citoyens/").get_data(as_text=True)
    assert TO_ENTERPRISES in home
    # Still signed in to the citizens' portal.
    assert live_session(citizen) is not None


def test_a_citizen_cannot_post_to_an_enterprise_form(browser, citizen):
    browser.sign_in(citizen)
    before = citizen.password_hash
    response = browser.post(
        "/mot-de-passe",
        {
            "current_password": TEST_PASSWORD,
            "new_password": "Une-autre-phrase-bien-longue",
            "confirm_password": "Une-autre-phrase-bien-longue",
        },
        page="/citoyens/",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/citoyens/"
    db.session.refresh(citizen)
    assert citizen.password_hash == before


@pytest.mark.parametrize("path", CITIZEN_PAGES)
def test_an_enterprise_account_never_gets_a_citizen_page(auth, esm, path):
    auth.client.set_cookie("idp_lang", "en")
    auth.sign_in(esm)

    response = auth.client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = auth.client.get("/").get_data(as_text=True)
    assert TO_CITIZENS in home
    assert live_session(esm.account) is not None


def test_an_enterprise_account_cannot_post_to_a_citizen_form(auth, esm):
    auth.sign_in(esm)
    before = esm.account.password_hash
    response = auth.form_post(
        "/citoyens/compte/mot-de-passe",
        {
            "current_password": TEST_PASSWORD,
            "new_password": "Une-autre-phrase-bien-longue",
            "confirm_password": "Une-autre-phrase-bien-longue",
        },
        page="/",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    db.session.refresh(esm.account)
    assert esm.account.password_hash == before


def test_a_pending_citizen_sign_in_opens_no_page_of_either_portal(browser, citizen):
    browser.user_code_step(citizen.user_code)
    browser.password_step()
    for path in ("/", "/citoyens/", "/entreprise/utilisateurs"):
        response = browser.client.get(path)
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"], path


# -- sign-in pages ------------------------------------------------------------------------------


def test_the_enterprise_sign_in_refuses_a_citizen_user_code(auth, citizen, smtp):
    auth.client.set_cookie("idp_lang", "en")
    citizen_code = auth.password_step(citizen.user_code, TEST_PASSWORD)
    unknown = auth.password_step("9999-ZZZZ", TEST_PASSWORD)

    assert citizen_code.status_code == 200
    assert error_text(citizen_code.get_data(as_text=True)) == error_text(
        unknown.get_data(as_text=True)
    )
    assert GENERIC in citizen_code.get_data(as_text=True)
    assert sessions_of(citizen) == []
    assert smtp.messages == []


def test_the_citizen_sign_in_refuses_an_enterprise_user_code(browser, esm, smtp):
    browser.language("en")
    browser.user_code_step(esm.user_code)
    enterprise_code = browser.password_step(esm.password)
    browser.user_code_step("9999-ZZZZ")
    unknown = browser.password_step(TEST_PASSWORD)

    assert enterprise_code.status_code == 200
    assert error_text(enterprise_code.get_data(as_text=True)) == error_text(
        unknown.get_data(as_text=True)
    )
    assert GENERIC in enterprise_code.get_data(as_text=True)
    assert sessions_of(esm.account) == []
    assert smtp.messages == []


def test_one_email_address_can_hold_both_accounts(browser, auth, citizen, factory):
    person = factory.person(email=OLIVIER.email, name="Olivier Lavoie")
    assert person.email == citizen.email

    done = auth.sign_in(person)
    assert done.headers["Location"] == "/"
    assert live_session(person.account).amr == "pwd otp mfa"
    auth.sign_out()

    done = browser.sign_in(citizen)
    assert done.headers["Location"] == "/citoyens/"
    assert live_session(citizen).amr == "pwd otp mfa"
    assert live_session(person.account) is None
    browser.post("/deconnexion", {}, page="/citoyens/")

    # Each user code still only works at its own portal.
    browser.user_code_step(person.user_code)
    assert browser.password_step(person.password).status_code == 200
    assert auth.password_step(citizen.user_code, TEST_PASSWORD).status_code == 200


# -- one browser, one session ---------------------------------------------------------------


def test_a_citizen_sign_in_ends_the_enterprise_session_of_that_browser(browser, auth, citizen, esm):
    auth.sign_in(esm)
    [enterprise_session] = sessions_of(esm.account)
    assert enterprise_session.is_authenticated

    browser.sign_in(citizen)

    db.session.refresh(enterprise_session)
    assert enterprise_session.ended_at is not None
    assert enterprise_session.end_reason == EndReason.REPLACED
    assert live_session(citizen) is not None
    assert browser.client.get("/citoyens/").status_code == 200
    assert browser.client.get("/").headers["Location"] == "/citoyens/"


def test_an_enterprise_sign_in_ends_the_citizen_session_of_that_browser(
    browser, auth, citizen, esm
):
    browser.sign_in(citizen)
    [citizen_session] = sessions_of(citizen)
    assert citizen_session.is_authenticated

    auth.sign_in(esm)

    db.session.refresh(citizen_session)
    assert citizen_session.ended_at is not None
    assert citizen_session.end_reason == EndReason.REPLACED
    assert live_session(esm.account) is not None
    assert auth.client.get("/").status_code == 200
    assert auth.client.get("/citoyens/").headers["Location"] == "/"
