"""Consent per ministry, and the « connected services » page that withdraws it."""

from __future__ import annotations

from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.consents.models import Consent
from idp.consents.services import covers, find_consent, grant_consent
from idp.extensions import db


def test_grant_adds_scopes_and_covers_checks_them(runtime, person):
    account_id = person.account.id
    grant_consent(db.session, runtime, account_id, "melccfp", ["openid", "profile"])
    consent = grant_consent(
        db.session, runtime, account_id, "melccfp", ["openid", "melccfp.iqea.operator"]
    )
    assert consent.scopes == ["melccfp.iqea.operator", "openid", "profile"]
    assert covers(consent, ["openid", "profile"])
    assert not covers(consent, ["openid", "email"])
    assert not covers(find_consent(db.session, account_id, "amf"), ["openid"])


def test_connected_services_page_lists_and_withdraws(auth, person, runtime):
    grant_consent(
        db.session,
        runtime,
        person.account.id,
        "melccfp",
        ["openid", "email", "melccfp.iqea.operator"],
    )
    db.session.commit()
    auth.sign_in(person)
    page = auth.client.get("/services-connectes?lang=en").get_data(as_text=True)
    assert "Ministère de l'Environnement" in page or "Ministère de l&#39;Environnement" in page
    assert "Your email address" in page
    assert "Submit the annual air emissions report – Operator identification" in page
    consent = db.session.scalars(select(Consent)).one()
    response = auth.form_post(
        f"/services-connectes/{consent.id}/retrait", {}, page="/services-connectes"
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Consent)).all() == []
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consents:consent:withdraw")
    ).one()
    assert event.details["ministry"] == "melccfp"


def test_nobody_withdraws_another_persons_consent(auth, factory, runtime):
    owner = factory.person(name="Marie Tremblay")
    other = factory.person(name="Jean Roy")
    consent = grant_consent(db.session, runtime, owner.account.id, "amf", ["openid"])
    db.session.commit()
    auth.sign_in(other)
    response = auth.form_post(
        f"/services-connectes/{consent.id}/retrait", {}, page="/services-connectes"
    )
    assert response.status_code == 404
    assert db.session.scalars(select(Consent)).one().account_id == owner.account.id


def test_withdrawal_needs_the_csrf_token(auth, person, runtime):
    consent = grant_consent(db.session, runtime, person.account.id, "amf", ["openid"])
    db.session.commit()
    auth.sign_in(person)
    response = auth.client.post(f"/services-connectes/{consent.id}/retrait", data={})
    assert response.status_code == 400
    assert db.session.scalars(select(Consent)).one() is not None


def test_empty_page_and_navigation(auth, person):
    auth.sign_in(person)
    page = auth.client.get("/services-connectes?lang=en").get_data(as_text=True)
    assert "You have not signed in to any ministry" in page
    assert 'href="/services-connectes"' in auth.client.get("/").get_data(as_text=True)
