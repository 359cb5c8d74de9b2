"""The provider operator console: only for provider operators, FR and EN, each decision."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from idp.accounts.models import Account, AccountRole
from idp.enterprises.models import EnterpriseStatus
from idp.extensions import db
from tests.enterprises.onboarding_helpers import REPRESENTATIVE, apply, provider_operator
from tests.ministries.test_views import operator_person

QUEUE = "/exploitation/demandes"
ENTERPRISES = "/exploitation/entreprises"


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def operator(runtime, auth):
    person = provider_operator(runtime)
    auth.sign_in(person)
    return person


def test_the_queue_lists_pending_applications_fr_and_en(runtime, operator, auth):
    apply(runtime)
    page = text(auth.client.get(f"{QUEUE}?lang=fr"))
    assert "Demandes à traiter" in page
    assert "Boulangerie du Vieux-Port inc." in page
    assert 'aria-current="page"' in page
    english = text(auth.client.get(f"{QUEUE}?lang=en"))
    assert "Applications to decide" in english
    assert "Chantal Pelletier" in english


def test_the_home_page_names_the_role(operator, auth):
    assert "Provider operator" in text(auth.client.get("/?lang=en"))


def _form_post(auth, path: str, data: dict):
    return auth.form_post(path, data)


def test_activation_shows_the_temporary_password_once(runtime, operator, auth, smtp):
    application = apply(runtime)
    path = f"{ENTERPRISES}/{application.enterprise_id}/activate"
    smtp.messages.clear()
    response = _form_post(auth, path, {})
    page = text(response)
    assert response.status_code == 200
    password = re.search(r'data-testid="temporary-password">([^<]+)<', page).group(1)
    account = db.session.scalars(
        select(Account).where(Account.role == AccountRole.AUTHORIZED_REPRESENTATIVE)
    ).one()
    assert runtime.hashing.verify(account.password_hash, password)
    assert account.user_code in page
    mail = next(m for m in smtp.messages if REPRESENTATIVE.email in m.to)
    assert account.user_code in mail.text
    assert password not in mail.text
    assert "ne peut plus être affiché" in text(auth.client.get("/exploitation/accuse?lang=fr"))


def test_refusal_needs_its_reason_then_is_taken(runtime, operator, auth):
    application = apply(runtime)
    path = f"{ENTERPRISES}/{application.enterprise_id}/refuse"
    page = text(_form_post(auth, path, {"reason": ""}))
    assert "Indiquez le motif" in page
    response = _form_post(auth, path, {"reason": "NEQ radié"})
    assert response.status_code == 302
    db.session.expire_all()
    assert application.enterprise.status == EnterpriseStatus.REFUSED


def test_suspension_asks_for_a_code_and_keeps_the_reason(runtime, operator, auth, clock, smtp):
    application = apply(runtime)
    _form_post(auth, f"{ENTERPRISES}/{application.enterprise_id}/activate", {})
    path = f"{ENTERPRISES}/{application.enterprise_id}/suspend"
    clock.advance(minutes=11)  # the sign-in code is no longer recent
    response = _form_post(auth, path, {"reason": "Vérification en cours"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/verification?next=")
    assert "Vérification en cours" in text(auth.client.get(path))
    db.session.expire_all()
    assert application.enterprise.status == EnterpriseStatus.ACTIVE


def test_cancellation_needs_the_box_ticked(runtime, operator, auth):
    application = apply(runtime)
    _form_post(auth, f"{ENTERPRISES}/{application.enterprise_id}/activate", {})
    path = f"{ENTERPRISES}/{application.enterprise_id}/cancel"
    page = text(_form_post(auth, path, {"reason": "Dissolution"}))
    assert "Cochez la case pour confirmer." in page
    response = _form_post(auth, path, {"reason": "Dissolution", "understood": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert application.enterprise.status == EnterpriseStatus.CANCELLED
    assert "la révocation est définitive" not in text(auth.client.get(response.headers["Location"]))


def test_a_decision_not_open_from_the_status_is_refused(runtime, operator, auth):
    application = apply(runtime)
    page = text(auth.client.get(f"{ENTERPRISES}/{application.enterprise_id}/reactivate?lang=en"))
    assert "cannot be taken" in page


def test_unknown_enterprises_and_actions_are_not_found(operator, auth):
    assert auth.client.get(f"{ENTERPRISES}/999").status_code == 404
    assert auth.client.get(f"{ENTERPRISES}/999/activate").status_code == 404


def test_the_enterprise_list_filters_by_status_and_neq(runtime, operator, auth, factory):
    apply(runtime)
    factory.enterprise("Aciérie Saint-Laurent inc.")
    pending = text(auth.client.get(f"{ENTERPRISES}?statut=pending_activation"))
    assert "Boulangerie" in pending
    assert "Aciérie" not in pending
    by_neq = text(auth.client.get(f"{ENTERPRISES}?neq=1190000005"))
    assert "Boulangerie" in by_neq
    assert "10 chiffres" in text(auth.client.get(f"{ENTERPRISES}?neq=12"))


@pytest.mark.parametrize(
    "role",
    [AccountRole.ESM, AccountRole.AUTHORIZED_REPRESENTATIVE, AccountRole.USER],
)
def test_other_roles_get_403(runtime, auth, factory, role):
    application = apply(runtime)
    auth.sign_in(factory.person(role=role))
    for path in (QUEUE, ENTERPRISES, f"{ENTERPRISES}/{application.enterprise_id}"):
        assert auth.client.get(path).status_code == 403
    response = auth.form_post(f"{ENTERPRISES}/{application.enterprise_id}/activate", {}, page="/")
    assert response.status_code == 403
    db.session.expire_all()
    assert application.enterprise.status == EnterpriseStatus.PENDING_ACTIVATION


def test_a_ministry_operator_gets_403(runtime, auth):
    auth.sign_in(operator_person(runtime, "melccfp"))
    assert auth.client.get(QUEUE).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]
