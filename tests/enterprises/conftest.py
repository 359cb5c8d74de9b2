"""An enterprise with its authorized representative, two ESMs and a user; another enterprise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from idp.accounts.models import Account, AccountRole
from idp.audit.models import AuditEvent
from idp.extensions import db
from tests.conftest import Auth, Factory, Person, SmtpCapture, csrf_token

USERS = "/entreprise/utilisateurs"
NEW = f"{USERS}/nouveau"
REVIEW = f"{NEW}/verification"
ACK = f"{USERS}/accuse"


@dataclass
class Team:
    representative: Person
    esm: Person
    other_esm: Person
    user: Person
    outsider_esm: Person
    outsider_user: Person


@pytest.fixture
def team(factory: Factory) -> Team:
    enterprise = factory.enterprise("Aciérie Saint-Laurent inc.")
    other = factory.enterprise("Conseils Verts Québec inc.")
    return Team(
        representative=factory.person(
            enterprise=enterprise,
            name="Louise Gagnon",
            role=AccountRole.AUTHORIZED_REPRESENTATIVE,
        ),
        esm=factory.person(enterprise=enterprise, name="Marie Tremblay"),
        other_esm=factory.person(enterprise=enterprise, name="Paul Bélanger"),
        user=factory.person(enterprise=enterprise, name="Jean Roy", role=AccountRole.USER),
        outsider_esm=factory.person(enterprise=other, name="Sophie Côté"),
        outsider_user=factory.person(enterprise=other, name="Karim Haddad", role=AccountRole.USER),
    )


def post(auth: Auth, path: str, data: dict[str, Any] | None = None, page: str = "/"):
    """A form post with the session's CSRF token, taken from a page the person may open."""
    html = auth.client.get(page).get_data(as_text=True)
    return auth.client.post(path, data={**(data or {}), "csrf_token": csrf_token(html)})


def events(action: str, subject_id: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_account_id == subject_id)
    return list(db.session.scalars(query))


def account(account_id: int) -> Account:
    found = db.session.get(Account, account_id)
    assert found is not None
    return found


def step_up(auth: Auth, smtp: SmtpCapture, location: str, email: str):
    """Follow a step-up redirect: enter the emailed code, come back where the action was."""
    assert location.startswith("/verification?next="), location
    page = auth.client.get(location)
    assert page.status_code == 200
    code = smtp.last_code(email)
    return auth.client.post(
        location, data={"code": code, "csrf_token": csrf_token(page.get_data(as_text=True))}
    )
