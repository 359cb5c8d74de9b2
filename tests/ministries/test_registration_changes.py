"""Ending a registration: withdrawn by the ministry, cancelled by the enterprise; asked again."""

from __future__ import annotations

from datetime import date
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.enterprises.models import EnterpriseStatus
from idp.errors import ConflictError, ForbiddenError, StepUpRequiredError, ValidationError
from idp.extensions import db
from idp.mailbox.models import MailboxMessage, MessageKind
from idp.ministries.models import RegistrationStatus
from idp.ministries.queries import registration_of
from idp.ministries.services import cancel_registration, withdraw_registration
from idp.proxies.rights import rights_at
from tests.conftest import TEST_PASSWORD, Person
from tests.ministries.test_views import operator_person
from tests.proxies.conftest import operator, register

TODAY = date(2026, 11, 22)


def melccfp_of(world):
    return registration_of(db.session, world.emitter.id, "melccfp")


def esm_rights(runtime, world) -> frozenset[str]:
    found = rights_at(db.session, runtime.catalogue, world.esm, world.emitter.id, "melccfp", TODAY)
    return found.rights if found else frozenset()


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def location(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


# -- the ministry withdraws ----------------------------------------------------------------------


def test_withdrawal_ends_the_rights_tells_the_esms_and_is_audited(runtime, world):
    assert esm_rights(runtime, world)
    withdraw_registration(
        db.session, runtime, operator(runtime, "melccfp"), melccfp_of(world), reason="Fermé"
    )
    db.session.commit()
    assert melccfp_of(world).status == RegistrationStatus.WITHDRAWN
    assert melccfp_of(world).decision_reason == "Fermé"
    assert esm_rights(runtime, world) == frozenset()
    [notice] = db.session.scalars(
        select(MailboxMessage).where(MailboxMessage.kind == MessageKind.REGISTRATION_WITHDRAWN)
    )
    assert notice.account_id == world.esm.id
    assert "Fermé" in notice.body_fr
    assert "Fermé" in notice.body_en
    [event] = audit("ministries:registration:withdraw")
    assert (event.enterprise_id, event.details["ministry"]) == (world.emitter.id, "melccfp")


def test_withdrawal_needs_a_reason_an_active_registration_and_the_ministry(runtime, world):
    registration = melccfp_of(world)
    with pytest.raises(ValidationError):
        withdraw_registration(
            db.session, runtime, operator(runtime, "melccfp"), registration, reason="  "
        )
    with pytest.raises(ForbiddenError):
        withdraw_registration(
            db.session, runtime, operator(runtime, "amf"), registration, reason="x"
        )
    with pytest.raises(ForbiddenError):
        withdraw_registration(db.session, runtime, world.esm, registration, reason="x")
    withdraw_registration(
        db.session, runtime, operator(runtime, "melccfp"), registration, reason="x"
    )
    with pytest.raises(ConflictError):
        withdraw_registration(
            db.session, runtime, operator(runtime, "melccfp"), registration, reason="x"
        )


def test_a_withdrawn_registration_may_be_asked_again_and_activated(runtime, world):
    withdraw_registration(
        db.session, runtime, operator(runtime, "melccfp"), melccfp_of(world), reason="x"
    )
    register(runtime, world.esm, "melccfp")
    assert melccfp_of(world).status == RegistrationStatus.ACTIVE
    assert esm_rights(runtime, world)


# -- the enterprise cancels ------------------------------------------------------------------------


def test_cancellation_needs_a_recent_code_then_ends_the_rights(runtime, world, clock):
    registration = melccfp_of(world)
    with pytest.raises(StepUpRequiredError):
        cancel_registration(db.session, runtime, world.esm, registration, verified_at=None)
    assert registration.status == RegistrationStatus.ACTIVE
    cancel_registration(db.session, runtime, world.esm, registration, verified_at=clock())
    db.session.commit()
    assert melccfp_of(world).status == RegistrationStatus.CANCELLED
    assert esm_rights(runtime, world) == frozenset()
    [event] = audit("ministries:registration:cancel")
    assert event.actor_account_id == world.esm.id


def test_only_the_enterprise_own_esm_cancels(runtime, world, clock):
    registration = melccfp_of(world)
    for actor in (world.user, world.firm_esm, operator(runtime, "melccfp")):
        with pytest.raises(ForbiddenError):
            cancel_registration(db.session, runtime, actor, registration, verified_at=clock())
    cancel_registration(db.session, runtime, world.esm, registration, verified_at=clock())
    with pytest.raises(ConflictError):
        cancel_registration(db.session, runtime, world.esm, registration, verified_at=clock())


def test_an_enterprise_not_active_cannot_register(runtime, world):
    cancel = melccfp_of(world)
    cancel.status = RegistrationStatus.CANCELLED
    world.emitter.status = EnterpriseStatus.SUSPENDED
    db.session.commit()
    with pytest.raises(ConflictError, match="pas active"):
        register(runtime, world.esm, "melccfp")


# -- the pages -----------------------------------------------------------------------------------


def test_operator_withdraws_from_the_page_with_a_reason(client, auth, runtime, world):
    staff = operator_person(runtime, "melccfp")
    auth.sign_in(staff)
    registration = melccfp_of(world)
    queue = unescape(client.get("/ministere/inscriptions").get_data(as_text=True))
    assert "Inscriptions actives" in queue
    path = f"/ministere/inscriptions/{registration.id}/retrait"
    assert path in queue

    page = unescape(auth.form_post(path, {"reason": ""}).get_data(as_text=True))
    assert "Indiquez le motif du retrait." in page
    assert melccfp_of(world).status == RegistrationStatus.ACTIVE

    assert location(auth.form_post(path, {"reason": "Dossier fermé"})) == "/ministere/inscriptions"
    assert melccfp_of(world).status == RegistrationStatus.WITHDRAWN
    queue = unescape(client.get("/ministere/inscriptions").get_data(as_text=True))
    assert "Retirée par le ministère" in queue

    # Withdrawn once, the page says so and offers nothing more.
    again = unescape(client.get(path + "?lang=en").get_data(as_text=True))
    assert "Only an active registration can be withdrawn." in again
    assert "<textarea" not in again


def test_another_ministry_operator_gets_not_found(client, auth, runtime, world):
    auth.sign_in(operator_person(runtime, "amf", name="Éric Lavoie"))
    registration = melccfp_of(world)
    path = f"/ministere/inscriptions/{registration.id}/retrait"
    assert client.get(path).status_code == 404
    assert auth.form_post(path, {"reason": "x"}, page="/ministere/inscriptions").status_code == 404
    assert melccfp_of(world).status == RegistrationStatus.ACTIVE


def test_esm_cancels_after_the_step_up_then_asks_for_reactivation(client, auth, smtp, world, clock):
    auth.sign_in(Person(world.esm, TEST_PASSWORD))
    services = unescape(client.get("/entreprise/services").get_data(as_text=True))
    path = "/entreprise/services/melccfp/annulation"
    assert path in services

    clock.advance(minutes=11)  # the sign-in code is no longer recent
    target = location(auth.form_post(path, {}))
    assert urlsplit(target).path == "/verification"
    assert melccfp_of(world).status == RegistrationStatus.ACTIVE
    assert client.get(target).status_code == 200  # the code is sent
    back = auth.form_post(target, {"code": smtp.last_code(world.esm.email)})
    assert location(back) == parse_qs(urlsplit(target).query)["next"][0] == path

    assert location(auth.form_post(path, {})) == "/entreprise/services"
    assert melccfp_of(world).status == RegistrationStatus.CANCELLED
    services = unescape(client.get("/entreprise/services").get_data(as_text=True))
    assert "Demander la réactivation" in services
    form = unescape(client.get("/entreprise/services/melccfp/inscription").get_data(as_text=True))
    assert "Votre entreprise a annulé son inscription le" in form


def test_a_user_cannot_reach_the_cancellation_page(client, auth, world):
    auth.sign_in(Person(world.user, TEST_PASSWORD))
    assert client.get("/entreprise/services/melccfp/annulation").status_code == 403


def test_the_services_page_of_a_suspended_enterprise_offers_no_registration(
    client, auth, world, factory
):
    world.emitter.status = EnterpriseStatus.SUSPENDED
    db.session.commit()
    auth.sign_in(Person(world.esm, TEST_PASSWORD))
    html = unescape(client.get("/entreprise/services").get_data(as_text=True))
    assert "Votre entreprise n'est pas active à clicSÉQUR" in html
    assert '/inscription"' not in html
