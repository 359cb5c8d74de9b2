"""The conditions of use on the way to a SAML service: shown, then the Response or RequestDenied."""

from __future__ import annotations

import base64

import pytest
from lxml import etree
from saml2.samlp import STATUS_REQUEST_DENIED, STATUS_RESPONDER, STATUS_SUCCESS
from sqlalchemy import delete, select

from idp.audit.models import AuditEvent
from idp.audit.tags import AuditAction
from idp.conditions.models import ConditionsAcceptance
from idp.extensions import db
from tests.conftest import TEST_PASSWORD, Person, csrf_token
from tests.saml.test_sso import NS, SamlBrowser, path_of, saml_form


@pytest.fixture
def browser(client, auth, idp_metadata) -> SamlBrowser:
    return SamlBrowser(client, auth, idp_metadata)


@pytest.fixture
def newcomer(world) -> Person:
    """The ESM of the emitter, as if they had never accepted the conditions of use."""
    db.session.execute(
        delete(ConditionsAcceptance).where(ConditionsAcceptance.account_id == world.esm.id)
    )
    db.session.commit()
    return Person(world.esm, TEST_PASSWORD)


def answer(client, decision: str):
    page = client.get("/conditions")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/conditions", data={"decision": decision, "csrf_token": token})


def signed_in_at_the_conditions(browser, client, sp, person) -> tuple[str, str]:
    """Send an AuthnRequest, sign in: the conditions page is next. Returns the request id and
    the path of the request in progress."""
    request_id, _saml_client, response = browser.send(sp)
    token_path = path_of(response.headers["Location"])
    done = browser.sign_in(person, client.get(token_path).headers["Location"])
    assert path_of(done.headers["Location"]) == token_path
    assert client.get(token_path).headers["Location"] == "/conditions"
    return request_id, token_path


def status_codes(html: str) -> tuple[str, list[str | None]]:
    form = saml_form(html)
    assert form is not None, html[:500]
    action, fields = form
    root = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    return root.get("InResponseTo") or "", [
        e.get("Value") for e in root.iterfind(".//samlp:StatusCode", NS)
    ]


def test_declining_gets_a_signed_request_denied(browser, client, amf_sp, newcomer, world):
    request_id, token_path = signed_in_at_the_conditions(browser, client, amf_sp, newcomer)

    declined = answer(client, "decline")
    assert declined.headers["Location"] == token_path
    response = client.get(token_path)
    assert response.status_code == 200
    in_response_to, codes = status_codes(response.get_data(as_text=True))
    assert in_response_to == request_id
    assert codes == [STATUS_RESPONDER, STATUS_REQUEST_DENIED]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == str(AuditAction.OIDC_AUTHORIZATION_DENY))
    ).one()
    assert event.details["reason"] == "conditions_declined"
    assert event.details["relying_party"] == amf_sp.entity_id
    assert event.subject_account_id == world.esm.id


def test_accepting_goes_on_to_the_response(browser, client, amf_sp, newcomer):
    request_id, token_path = signed_in_at_the_conditions(browser, client, amf_sp, newcomer)

    assert answer(client, "accept").headers["Location"] == token_path
    consent = client.get(token_path)
    assert 'value="allow"' in consent.get_data(as_text=True)
    answered = browser.decide(token_path, consent.get_data(as_text=True), decision="allow")
    in_response_to, codes = status_codes(answered.get_data(as_text=True))
    assert in_response_to == request_id
    assert codes == [STATUS_SUCCESS]
