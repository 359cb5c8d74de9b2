"""Helpers shared by the onboarding and console tests: an application, a provider operator."""

from __future__ import annotations

from idp.accounts.models import AccountRole
from idp.accounts.services import create_account
from idp.audit.services import ClientInfo
from idp.enterprises.models import EnterpriseApplication
from idp.enterprises.onboarding import (
    EnterpriseStep,
    RepresentativeStep,
    clean_enterprise,
    clean_representative,
    submit_application,
)
from idp.extensions import db
from tests.conftest import TEST_PASSWORD, Person, accept_conditions

BOULANGERIE = EnterpriseStep("1190000005", "Boulangerie du Vieux-Port inc.", "business_corporation")
COOPERATIVE = EnterpriseStep(
    "3390000006", "Coopérative forestière du Haut-Saint-Maurice", "cooperative"
)
REPRESENTATIVE = RepresentativeStep(
    "Chantal", "Pelletier", "Présidente", "chantal.pelletier@boulangerie.example", "418 555-0199"
)
CLIENT = ClientInfo(ip="203.0.113.7", user_agent="pytest")


def apply(runtime, step: EnterpriseStep = BOULANGERIE, **kw) -> EnterpriseApplication:
    """Submit an application that the demo register confirms; committed."""
    result = submit_application(
        db.session,
        runtime,
        clean_enterprise(step),
        clean_representative(kw.get("representative", REPRESENTATIVE)),
        client=kw.get("client", CLIENT),
    )
    assert isinstance(result, EnterpriseApplication), result
    db.session.commit()
    return result


def provider_operator(runtime, name: str = "Hélène Morin") -> Person:
    """A provider operator who can sign in with the test password."""
    new = create_account(
        db.session,
        runtime,
        enterprise=None,
        display_name=name,
        email=f"{name.split()[0].lower()}@clicsequr.example",
        role=AccountRole.PROVIDER_OPERATOR,
    )
    new.account.password_hash = runtime.hashing.hash(TEST_PASSWORD)
    new.account.must_change_password = False
    db.session.commit()
    accept_conditions(runtime, new.account)
    return Person(new.account, TEST_PASSWORD)
