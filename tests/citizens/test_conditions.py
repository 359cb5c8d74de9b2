"""A new citizen accepts the conditions of use of clicSÉQUR – Citoyens at their first sign-in."""

from __future__ import annotations

import html

from sqlalchemy import select

from idp.conditions.models import ConditionsAcceptance
from idp.extensions import db
from tests.citizens.conftest import AMELIE, make_citizen
from tests.conftest import csrf_token

PAGE = "/citoyens/conditions"


def answer(browser, decision: str):
    return browser.post(PAGE, {"decision": decision})


def test_a_new_citizen_sees_the_citizens_conditions_after_the_first_sign_in(browser):
    account = browser.enrol(AMELIE, accepted_conditions=False)
    done = browser.sign_in(account)
    assert done.headers["Location"] == "/citoyens/"
    assert browser.client.get("/citoyens/").headers["Location"] == PAGE
    page = html.unescape(browser.client.get(PAGE).get_data(as_text=True))
    assert "<h1>Conditions d'utilisation</h1>" in page
    assert "clicSÉQUR – Citoyens" in page
    assert "Protéger votre identité" in page
    english = html.unescape(browser.client.get(f"{PAGE}?lang=en").get_data(as_text=True))
    assert "Protecting your identity" in english

    accepted = answer(browser, "accept")
    assert accepted.headers["Location"] == "/citoyens/"
    assert browser.client.get("/citoyens/").status_code == 200
    row = db.session.scalars(select(ConditionsAcceptance)).one()
    assert (row.account_id, row.portal) == (account.id, "citizen")


def test_the_citizens_account_pages_wait_for_the_conditions(browser, runtime):
    citizen = make_citizen(runtime, accepted_conditions=False)
    browser.sign_in(citizen)
    for path in ("/citoyens/compte/mot-de-passe", "/citoyens/compte/courriel"):
        assert browser.client.get(path).headers["Location"] == PAGE
    # The enterprise page of the conditions is not a citizen's.
    assert browser.client.get("/conditions").headers["Location"] == "/citoyens/"


def test_a_citizen_who_declines_is_told_what_it_means(browser, runtime):
    citizen = make_citizen(runtime, accepted_conditions=False)
    browser.sign_in(citizen)
    declined = answer(browser, "decline")
    assert declined.status_code == 200
    page = html.unescape(declined.get_data(as_text=True))
    assert "Vous avez refusé les conditions d'utilisation" in page
    assert f'href="{PAGE}"' in page
    assert browser.client.get("/citoyens/").headers["Location"] == PAGE
    token = csrf_token(page)
    signed_out = browser.client.post("/deconnexion", data={"csrf_token": token})
    assert signed_out.headers["Location"] == "/citoyens/connexion"
