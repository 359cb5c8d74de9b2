"""Enterprises registered at ministries, their ESMs, users and an agent firm."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.enterprises.models import Enterprise
from idp.extensions import db
from idp.ministries.services import decide_registration, submit_registration

ANSWERS = {
    "melccfp": {"establishment_count": "2"},
    "amf": {"amf_client_number": "500123"},
}


def operator(runtime, ministry_key: str) -> Account:
    existing = db.session.scalars(
        select(Account).where(Account.ministry_key == ministry_key)
    ).first()
    if existing is not None:
        return existing
    account = Account(
        user_code=f"OPER-{2222 + len(ministry_key)}",
        display_name="Opérateur",
        email="op@gouv.example",
        password_hash="x",
        status=AccountStatus.ACTIVE,
        must_change_password=False,
        created_at=runtime.clock(),
        ministry_key=ministry_key,
        role=AccountRole.MINISTRY_OPERATOR,
    )
    db.session.add(account)
    db.session.flush()
    return account


def register(runtime, esm: Account, ministry_key: str, *, activate: bool = True) -> None:
    registration = submit_registration(
        db.session,
        runtime,
        esm,
        enterprise_id=esm.enterprise_id,
        ministry_key=ministry_key,
        answers=ANSWERS[ministry_key],
    )
    if activate:
        decide_registration(
            db.session, runtime, operator(runtime, ministry_key), registration, activate=True
        )
    db.session.commit()


@dataclass
class World:
    emitter: Enterprise
    esm: Account
    user: Account
    other_user: Account
    firm: Enterprise
    firm_esm: Account
    consultant: Account


@pytest.fixture
def world(factory, runtime) -> World:
    emitter = factory.enterprise("Aciérie Saint-Laurent inc.")
    esm = factory.person(enterprise=emitter, name="Marie Tremblay").account
    user = factory.person(enterprise=emitter, name="Jean Roy", role=AccountRole.USER).account
    other = factory.person(enterprise=emitter, name="Anne Roy", role=AccountRole.USER).account
    firm = factory.enterprise("Conseils Verts Québec inc.")
    firm_esm = factory.person(enterprise=firm, name="Sophie Côté").account
    consultant = factory.person(enterprise=firm, name="Karim Haddad", role=AccountRole.USER).account
    register(runtime, esm, "melccfp")
    register(runtime, esm, "amf")
    return World(emitter, esm, user, other, firm, firm_esm, consultant)


def consultant_verifies_for(runtime, world, esm: Account, enterprise: Enterprise) -> None:
    """The enterprise gives the consulting firm an external verifier proxy at MELCCFP, which
    the firm's ESM assigns to its consultant."""
    from datetime import date

    from idp.proxies.models import ProxyKind
    from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy

    proxy = create_proxy(
        db.session,
        runtime,
        esm,
        enterprise_id=enterprise.id,
        kind=ProxyKind.EXTERNAL,
        ends_on=date(2027, 1, 1),
        description="Vérification",
        grants=[MinistryGrant("melccfp", False, frozenset({"melccfp.iqea.verifier"}))],
        agent_identifier=world.firm.neq,
        verified_at=runtime.clock(),
    )
    assign_proxy(db.session, runtime, world.firm_esm, proxy, [world.consultant.id])
    db.session.commit()


@pytest.fixture
def second_client(factory, runtime, world) -> Enterprise:
    """A second enterprise active at MELCCFP: both it and the emitter have the consulting
    firm's consultant verify for them."""
    second = factory.enterprise("Papetière Boréale inc.")
    second_esm = factory.person(enterprise=second, name="Lise Boréale").account
    register(runtime, second_esm, "melccfp")
    for esm, enterprise in ((world.esm, world.emitter), (second_esm, second)):
        consultant_verifies_for(runtime, world, esm, enterprise)
    return second
