"""The conditions of use on the way to a relying party: shown, then the code or access_denied."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import delete, select

from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.audit.tags import AuditAction
from idp.conditions.models import ConditionsAcceptance
from idp.extensions import db
from tests.conftest import TEST_PASSWORD, Person, csrf_token
from tests.oidc.conftest import IQEA_CALLBACK, redirect_params


def not_accepted(account: Account) -> Person:
    """The person, as if they had never accepted the conditions of use."""
    db.session.execute(
        delete(ConditionsAcceptance).where(ConditionsAcceptance.account_id == account.id)
    )
    db.session.commit()
    return Person(account, TEST_PASSWORD)


def answer(client, decision: str):
    page = client.get("/conditions")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/conditions", data={"decision": decision, "csrf_token": token})


def test_the_conditions_come_before_the_service_then_it_goes_on(auth, browser, client, world):
    auth.sign_in(not_accepted(world.esm))
    request = browser.request()
    response = browser.open(request)
    assert response.status_code == 302
    assert response.headers["Location"] == "/conditions"

    accepted = answer(client, "accept")
    assert accepted.headers["Location"] == request.url
    consent = browser.open(accepted.headers["Location"])
    assert consent.status_code == 200
    assert 'value="allow"' in consent.get_data(as_text=True)


def test_a_first_sign_in_from_a_service_shows_the_conditions_then_gives_the_code(
    browser, client, auth, world
):
    person = not_accepted(world.esm)
    request = browser.request()
    login = browser.open(request).headers["Location"]
    auth.form_post(
        urlsplit(login).path + "?" + urlsplit(login).query,
        {"user_code": person.user_code, "password": person.password},
    )
    done = auth.code_step(auth.smtp.last_code(person.email))
    assert done.headers["Location"] == request.url
    assert client.get(request.url).headers["Location"] == "/conditions"
    assert answer(client, "accept").headers["Location"] == request.url
    params = browser.authorize(None, request)
    assert params["code"]
    assert params["state"] == request.state


def test_declining_is_access_denied_to_the_relying_party(auth, browser, client, world):
    auth.sign_in(not_accepted(world.esm))
    request = browser.request()
    browser.open(request)

    declined = answer(client, "decline")
    assert declined.headers["Location"] == request.url
    response = browser.open(declined.headers["Location"])
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(IQEA_CALLBACK + "?")
    params = redirect_params(location)
    assert params["error"] == "access_denied"
    assert params["error_description"] == "The person declined the conditions of use."
    assert params["state"] == request.state
    assert "code" not in params
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == str(AuditAction.OIDC_AUTHORIZATION_DENY))
    ).one()
    assert event.details["reason"] == "conditions_declined"
    assert event.subject_account_id == world.esm.id
    decline = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == str(AuditAction.CONDITIONS_DECLINE))
    ).one()
    assert decline.subject_account_id == world.esm.id

    # The refusal is said once: coming back from the service shows the conditions again.
    again = browser.request()
    assert browser.open(again).headers["Location"] == "/conditions"


def test_prompt_none_without_the_conditions_accepted_is_interaction_required(auth, browser, world):
    auth.sign_in(not_accepted(world.esm))
    request = browser.request(prompt="none")
    params = redirect_params(browser.open(request).headers["Location"])
    assert params["error"] == "interaction_required"
    assert params["state"] == request.state
