"""The proxy pages: adding a proxy (form, review, step-up) and assigning it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from idp.extensions import db
from idp.proxies.models import Proxy, ProxyAssignment, ProxyKind, ProxyStatus
from idp.proxies.rights import rights_at
from tests.conftest import TEST_PASSWORD, Person

NEW = "/entreprise/procurations/nouvelle"
REVIEW = "/entreprise/procurations/nouvelle/verification"
IQEA_OPERATOR = "melccfp.iqea.operator"


def sign_in(auth, account) -> None:
    response = auth.sign_in(Person(account, TEST_PASSWORD))
    assert response.status_code == 302


def proxy_data(**overrides):
    data = {
        "kind": "internal",
        "agent_identifier": "",
        "ends_on": "2027-06-30",
        "description": "Déclaration IQEA",
        "grant_melccfp": "restricted",
        "rights_melccfp": [IQEA_OPERATOR],
        "grant_amf": "none",
    }
    data.update(overrides)
    return data


def proxies() -> list[Proxy]:
    return list(db.session.scalars(select(Proxy).order_by(Proxy.id)))


def assignments() -> list[ProxyAssignment]:
    return list(db.session.scalars(select(ProxyAssignment).order_by(ProxyAssignment.id)))


def location(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def submit_review(auth):
    return auth.form_post(REVIEW, {})


def step_up(auth, smtp, email: str, target: str) -> None:
    """Follow a step-up redirect: the code is sent, entered, and leads back to the page."""
    assert urlsplit(target).path == "/verification"
    html = auth.client.get(target).get_data(as_text=True)
    assert "code" in html
    back = auth.form_post(target, {"code": smtp.last_code(email)})
    assert location(back) == parse_qs(urlsplit(target).query)["next"][0]


def assign_through_pages(auth, proxy_id: int, account_ids: list[int]) -> str:
    base = f"/entreprise/procurations/{proxy_id}/attribution"
    assert location(auth.form_post(base, {"account_ids": account_ids})).endswith(
        base + "/verification"
    )
    review = auth.client.get(base + "/verification?lang=en").get_data(as_text=True)
    assert "Check the assignment" in review
    acknowledgement = location(auth.form_post(base + "/verification", {}))
    assert acknowledgement.endswith(base + "/accuse-de-reception")
    return auth.client.get(acknowledgement + "?lang=en").get_data(as_text=True)


def test_internal_proxy_is_created_then_assigned(auth, world, runtime, clock):
    sign_in(auth, world.esm)
    assert location(auth.form_post(NEW, proxy_data())).endswith(REVIEW)
    review = unescape(auth.client.get(REVIEW).get_data(as_text=True))
    assert "Déclaration IQEA" in review
    assert "Identification de l'exploitant" in review  # the right's label, in French
    assert proxies() == []  # nothing is created before the review is submitted

    detail = location(submit_review(auth))
    [proxy] = proxies()
    assert detail.endswith(f"/entreprise/procurations/{proxy.id}")
    assert proxy.kind == ProxyKind.INTERNAL
    assert proxy.enterprise_id == world.emitter.id
    assert proxy.ends_on == date(2027, 6, 30)
    [grant] = proxy.ministries
    assert (grant.ministry_key, grant.unrestricted) == ("melccfp", False)
    assert grant.right_ids == {IQEA_OPERATOR}
    assert auth.client.get(REVIEW).status_code == 302  # the draft is gone

    offered = auth.client.get(f"/entreprise/procurations/{proxy.id}/attribution").get_data(
        as_text=True
    )
    assert "Jean Roy" in offered
    assert "Anne Roy" in offered
    assert f'value="{world.esm.id}"' not in offered  # the ESM holds every right already

    acknowledgement = assign_through_pages(auth, proxy.id, [world.user.id])
    [assignment] = assignments()
    assert (assignment.proxy_id, assignment.account_id) == (proxy.id, world.user.id)
    assert assignment.mandator_enterprise_id == world.emitter.id
    assert "Acknowledgement of assignment" in acknowledgement
    assert "Jean Roy" in acknowledgement
    assert world.user.user_code in acknowledgement
    assert "Operator identification" in acknowledgement
    assert "data-print hidden" in acknowledgement
    held = rights_at(
        db.session, runtime.catalogue, world.user, world.emitter.id, "melccfp", clock.now.date()
    )
    assert held is not None
    assert held.rights == {IQEA_OPERATOR}


def test_correct_brings_back_the_values(auth, world):
    sign_in(auth, world.esm)
    data = proxy_data(description="Bilan de phosphore 2027", ends_on="2028-03-31")
    data["rights_melccfp"] = [IQEA_OPERATOR, "melccfp.phosphorus.submit"]
    auth.form_post(NEW, data)
    review = auth.client.get(REVIEW + "?lang=en").get_data(as_text=True)
    assert f'href="{NEW}?corriger=1"' in review

    again = auth.client.get(NEW + "?corriger=1").get_data(as_text=True)
    assert "Bilan de phosphore 2027</textarea>" in again
    assert 'value="2028-03-31"' in again
    for right in (IQEA_OPERATOR, "melccfp.phosphorus.submit"):
        assert re.search(rf'value="{re.escape(right)}"\s+checked', again)
    assert not re.search(r'value="melccfp.ghg.declare"\s+checked', again)
    assert re.search(r'name="grant_melccfp" value="restricted"\s+checked', again)
    assert re.search(r'name="kind" value="internal"\s+checked', again)

    fresh = auth.client.get(NEW).get_data(as_text=True)  # "Add a proxy" starts empty
    assert "Bilan de phosphore 2027" not in fresh
    assert not re.search(rf'value="{re.escape(IQEA_OPERATOR)}"\s+checked', fresh)


@pytest.mark.parametrize(
    ("ends_on", "accepted"),
    [("2029-11-21", True), ("2029-11-22", False)],  # three years less a day from 2026-11-22
)
def test_end_date_limit_on_the_form(auth, world, ends_on, accepted):
    sign_in(auth, world.esm)
    response = auth.form_post(NEW, proxy_data(ends_on=ends_on))
    if accepted:
        assert location(response).endswith(REVIEW)
        return
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "21 novembre 2029" in html  # the latest date, in the message and in the hint
    assert html.count("21 novembre 2029") >= 2
    assert 'id="ends_on-error"' in html
    assert f'value="{ends_on}"' in html  # the value is kept
    assert location(auth.client.get(REVIEW)).endswith(NEW)  # no draft
    english = auth.form_post(NEW + "?lang=en", proxy_data(ends_on=ends_on))
    assert "the latest end date is November 21, 2029" in english.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"grant_melccfp": "none", "rights_melccfp": []},
            "grant_melccfp",
            "Choose at least one ministry.",
        ),
        ({"rights_melccfp": []}, "rights_melccfp", "Choose rights of this ministry"),
        ({"grant_amf": "none", "rights_amf": ["amf.payments"]}, "rights_amf", "choose « With"),
        ({"kind": "external"}, "agent_identifier", "Enter the 10-digit identifier"),
        ({"kind": "external", "agent_identifier": "123"}, "agent_identifier", "exactly 10"),
        ({"kind": "external", "agent_identifier": "9999999999"}, "agent_identifier", "No enter"),
        ({"description": "  "}, "description", "Describe the proxy"),
        ({"ends_on": "30/06/2027"}, "ends_on", "year-month-day"),
    ],
)
def test_form_errors_are_shown_on_their_field(auth, world, overrides, field, message):
    sign_in(auth, world.esm)
    response = auth.form_post(NEW + "?lang=en", proxy_data(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html
    assert message in html
    assert f'href="#{field}"' in html  # the error summary links to the field
    assert f'id="{field}"' in html


def test_own_enterprise_cannot_be_the_agent(auth, world):
    sign_in(auth, world.esm)
    data = proxy_data(kind="external", agent_identifier=world.emitter.neq)
    html = auth.form_post(NEW + "?lang=en", data).get_data(as_text=True)
    assert "use an internal proxy" in html
    assert proxies() == []


def test_external_proxy_asks_for_the_code_then_the_agent_assigns_it(auth, world, smtp, clock):
    sign_in(auth, world.esm)
    clock.advance(minutes=11)  # the sign-in code is no longer recent
    data = proxy_data(kind="external", agent_identifier=world.firm.neq, description="Vérification")
    data["rights_melccfp"] = ["melccfp.iqea.verifier"]
    auth.form_post(NEW, data)
    target = location(submit_review(auth))
    assert urlsplit(target).path == "/verification"
    assert proxies() == []

    step_up(auth, smtp, world.esm.email, target)
    review = auth.client.get(REVIEW).get_data(as_text=True)
    assert world.firm.legal_name in review  # the draft survived the step-up
    assert location(submit_review(auth)).startswith("/entreprise/procurations/")
    [proxy] = proxies()
    assert (proxy.kind, proxy.agent_enterprise_id) == (ProxyKind.EXTERNAL, world.firm.id)

    auth.sign_out()
    sign_in(auth, world.firm_esm)
    listing = auth.client.get("/entreprise/procurations?lang=en").get_data(as_text=True)
    received = listing.split("Proxies received from other enterprises", 1)[1]
    assert world.emitter.legal_name in received
    assert world.emitter.neq in received
    assert "1 right" in received
    assign_through_pages(auth, proxy.id, [world.consultant.id])
    [assignment] = assignments()
    assert assignment.account_id == world.consultant.id
    assert assignment.mandator_enterprise_id == world.emitter.id


@pytest.mark.parametrize(("mode", "asks"), [("unrestricted", True), ("restricted", False)])
def test_without_restriction_asks_for_the_code(auth, world, clock, mode, asks):
    sign_in(auth, world.esm)
    clock.advance(minutes=11)
    auth.form_post(NEW, proxy_data(grant_melccfp=mode))
    target = location(submit_review(auth))
    assert (urlsplit(target).path == "/verification") is asks
    assert len(proxies()) == (0 if asks else 1)


def test_the_code_counts_for_ten_minutes(auth, world, smtp, clock):
    sign_in(auth, world.esm)
    clock.advance(minutes=11)
    auth.form_post(NEW, proxy_data(kind="external", agent_identifier=world.firm.neq))
    step_up(auth, smtp, world.esm.email, location(submit_review(auth)))
    clock.advance(minutes=11)
    target = location(submit_review(auth))
    assert urlsplit(target).path == "/verification"  # asked again
    assert proxies() == []
    step_up(auth, smtp, world.esm.email, target)
    clock.advance(minutes=9)
    assert not urlsplit(location(submit_review(auth))).path.startswith("/verification")
    assert len(proxies()) == 1


def test_extending_an_external_proxy_keeps_the_date_through_the_code(
    auth, world, smtp, clock, runtime
):
    from tests.proxies.test_views_manage import make_proxy

    proxy = make_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=world.firm.neq)
    sign_in(auth, world.esm)
    clock.advance(minutes=11)
    path = f"/entreprise/procurations/{proxy.id}/date-de-fin"
    target = location(auth.form_post(path, {"ends_on": "2028-01-15"}))
    step_up(auth, smtp, world.esm.email, target)
    assert 'value="2028-01-15"' in auth.client.get(path).get_data(as_text=True)
    assert db.session.get(Proxy, proxy.id).ends_on == date(2027, 6, 30)
    assert location(auth.form_post(path, {"ends_on": "2028-01-15"})).endswith(
        f"/entreprise/procurations/{proxy.id}"
    )
    assert db.session.get(Proxy, proxy.id).ends_on == date(2028, 1, 15)


def test_a_new_end_date_past_the_limit_is_refused(auth, world, runtime):
    from tests.proxies.test_views_manage import make_proxy

    proxy = make_proxy(runtime, world)
    sign_in(auth, world.esm)
    path = f"/entreprise/procurations/{proxy.id}/date-de-fin?lang=en"
    html = auth.form_post(path, {"ends_on": "2029-11-22"}).get_data(as_text=True)
    assert "November 21, 2029" in html
    assert 'id="ends_on-error"' in html
    assert db.session.get(Proxy, proxy.id).ends_on == date(2027, 6, 30)
    assert db.session.get(Proxy, proxy.id).status == ProxyStatus.ACTIVE


def test_proxy_that_expires_before_confirmation_is_not_assigned(auth, world, runtime, clock):
    from tests.proxies.test_views_manage import make_proxy

    clock.now = datetime(2026, 11, 23, 4, 50, tzinfo=UTC)  # 23 h 50 in Québec (UTC-5)
    proxy = make_proxy(runtime, world, ends_on=date(2026, 11, 22))
    sign_in(auth, world.esm)
    base = f"/entreprise/procurations/{proxy.id}/attribution"
    auth.form_post(base, {"account_ids": [world.user.id]})
    clock.advance(minutes=15)  # past midnight: the proxy has expired
    html = auth.form_post(base + "/verification?lang=en", {}).get_data(as_text=True)
    assert "An expired or cancelled proxy cannot be assigned." in html
    assert assignments() == []


def test_a_refusal_at_submission_goes_back_to_the_form_with_the_draft(auth, world, clock):
    clock.now = datetime(2026, 11, 23, 4, 50, tzinfo=UTC)  # 23 h 50 in Québec (UTC-5)
    sign_in(auth, world.esm)
    auth.form_post(NEW, proxy_data(ends_on="2026-11-22", description="Dernier jour"))
    clock.advance(minutes=15)  # the next day: the end date is now in the past
    response = auth.form_post(REVIEW + "?lang=en", {})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The end date cannot be in the past." in page
    assert 'id="ends_on-error"' in page
    assert "Dernier jour</textarea>" in page
    assert f'action="{NEW}"' in page
    assert proxies() == []
    assert auth.client.get(REVIEW).status_code == 200  # the draft is kept
