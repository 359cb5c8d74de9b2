"""Effective rights: every rule of idp.proxies.rights, one test each."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from idp.accounts.models import AccountStatus
from idp.enterprises.models import EnterpriseStatus
from idp.extensions import db
from idp.proxies.models import Proxy, ProxyKind, ProxyStatus
from idp.proxies.rights import RightsSource, enterprises_for, rights_at
from idp.proxies.services import MinistryGrant, assign_proxy, cancel_proxy, create_proxy

from .conftest import consultant_verifies_for, register

IQEA_OPERATOR = "melccfp.iqea.operator"
IQEA_VERIFIER = "melccfp.iqea.verifier"
TODAY = date(2026, 11, 22)


def held(runtime, account, enterprise, ministry="melccfp", today=TODAY):
    found = rights_at(db.session, runtime.catalogue, account, enterprise.id, ministry, today)
    return found.rights if found else frozenset()


def make_proxy(runtime, world, *, kind=ProxyKind.INTERNAL, grants=None, ends_on=None, agent=None):
    proxy = create_proxy(
        db.session,
        runtime,
        world.esm,
        enterprise_id=world.emitter.id,
        kind=kind,
        ends_on=ends_on or date(2027, 11, 21),
        description="Déclaration IQEA",
        grants=grants or [MinistryGrant("melccfp", False, frozenset({IQEA_OPERATOR}))],
        agent_identifier=agent.neq if agent else None,
        verified_at=runtime.clock(),
    )
    db.session.commit()
    return proxy


def test_esm_holds_every_right_of_active_ministries(runtime, world):
    ministry = runtime.catalogue.ministry("melccfp")
    assert held(runtime, world.esm, world.emitter) == ministry.right_ids
    found = rights_at(db.session, runtime.catalogue, world.esm, world.emitter.id, "melccfp", TODAY)
    assert found.source is RightsSource.ESM


def test_esm_holds_nothing_where_the_enterprise_is_not_active(runtime, world, factory):
    other = factory.enterprise("Scierie du Nord inc.")
    esm = factory.person(enterprise=other, name="Paul Nord").account
    register(runtime, esm, "melccfp", activate=False)
    assert held(runtime, esm, other) == frozenset()


def test_user_without_proxy_holds_nothing(runtime, world):
    assert held(runtime, world.user, world.emitter) == frozenset()


def test_internal_proxy_with_restriction(runtime, world):
    proxy = make_proxy(runtime, world)
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    db.session.commit()
    assert held(runtime, world.user, world.emitter) == {IQEA_OPERATOR}
    # Other ministries' rights never appear.
    assert held(runtime, world.user, world.emitter, "amf") == frozenset()


def test_unrestricted_means_every_right_of_the_ministry(runtime, world):
    proxy = make_proxy(runtime, world, grants=[MinistryGrant("amf", True)])
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    db.session.commit()
    assert (
        held(runtime, world.user, world.emitter, "amf")
        == runtime.catalogue.ministry("amf").right_ids
    )


@pytest.mark.parametrize(
    ("today", "holds"),
    [
        (TODAY, True),
        (date(2027, 11, 21), True),  # the end date is the last day in force
        (date(2027, 11, 22), False),  # expired the day after
    ],
)
def test_proxy_grants_until_its_end_date_inclusive(runtime, world, today, holds):
    proxy = make_proxy(runtime, world)
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    db.session.commit()
    assert bool(held(runtime, world.user, world.emitter, today=today)) is holds


def test_cancelled_proxy_grants_nothing_at_once(runtime, world):
    proxy = make_proxy(runtime, world)
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    cancel_proxy(db.session, runtime, world.esm, proxy)
    db.session.commit()
    assert held(runtime, world.user, world.emitter) == frozenset()


def test_suspended_account_holds_nothing(runtime, world):
    proxy = make_proxy(runtime, world)
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    world.user.status = AccountStatus.SUSPENDED
    db.session.commit()
    assert held(runtime, world.user, world.emitter) == frozenset()
    world.esm.status = AccountStatus.SUSPENDED
    assert held(runtime, world.esm, world.emitter) == frozenset()


@pytest.mark.parametrize(
    "status",
    [EnterpriseStatus.SUSPENDED, EnterpriseStatus.CANCELLED, EnterpriseStatus.PENDING_ACTIVATION],
)
def test_people_of_an_enterprise_not_active_hold_nothing(runtime, world, status):
    proxy = make_proxy(runtime, world)
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    db.session.commit()
    assert held(runtime, world.user, world.emitter) == {IQEA_OPERATOR}
    world.emitter.status = status
    assert held(runtime, world.esm, world.emitter) == frozenset()
    assert held(runtime, world.user, world.emitter) == frozenset()
    world.emitter.status = EnterpriseStatus.ACTIVE
    assert held(runtime, world.user, world.emitter) == {IQEA_OPERATOR}


def test_a_mandator_not_active_gives_its_agents_nothing(runtime, world, second_client):
    """Conseils Verts stays active; one of its clients is suspended: the consultant may still
    act for the other client, not for that one."""
    world.emitter.status = EnterpriseStatus.SUSPENDED
    db.session.commit()
    found = enterprises_for(db.session, runtime.catalogue, world.consultant, "melccfp", TODAY)
    assert [f.enterprise_id for f in found] == [second_client.id]


def test_a_consultant_whose_own_firm_is_suspended_acts_for_no_one(runtime, world, second_client):
    world.firm.status = EnterpriseStatus.SUSPENDED
    db.session.commit()
    assert enterprises_for(db.session, runtime.catalogue, world.consultant, "melccfp", TODAY) == []


def test_refused_or_pending_registration_grants_nothing(runtime, world, factory):
    other = factory.enterprise("Scierie du Nord inc.")
    esm = factory.person(enterprise=other, name="Paul Nord").account
    register(runtime, esm, "melccfp", activate=False)  # pending
    assert held(runtime, esm, other) == frozenset()


def test_external_proxy_rights_for_the_agent_staff(runtime, world):
    proxy = make_proxy(
        runtime,
        world,
        kind=ProxyKind.EXTERNAL,
        agent=world.firm,
        grants=[MinistryGrant("melccfp", False, frozenset({IQEA_VERIFIER}))],
    )
    assign_proxy(db.session, runtime, world.firm_esm, proxy, [world.consultant.id])
    db.session.commit()
    found = rights_at(
        db.session, runtime.catalogue, world.consultant, world.emitter.id, "melccfp", TODAY
    )
    assert found.rights == {IQEA_VERIFIER}
    assert found.source is RightsSource.EXTERNAL
    assert found.agent_enterprise_id == world.firm.id
    assert found.proxy_id == proxy.id
    assert found.proxy_ends_on == date(2027, 11, 21)
    # The agent firm's ESM holds nothing for the client unless assigned a proxy too.
    assert held(runtime, world.firm_esm, world.emitter) == frozenset()


def test_enterprises_a_consultant_may_act_for(runtime, world, second_client):
    second = second_client
    found = enterprises_for(db.session, runtime.catalogue, world.consultant, "melccfp", TODAY)
    assert [f.enterprise_id for f in found] == sorted([world.emitter.id, second.id])
    # The firm itself is not active at MELCCFP: its consultant has nothing of his own there.
    assert world.firm.id not in [f.enterprise_id for f in found]


# -- cost: a fixed number of queries, computed once per request --------------------------------


@pytest.fixture
def statements():
    """The SQL statements the database session sends, as a list that grows."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_more_mandators_cost_no_more_queries(runtime, world, factory, second_client, statements):
    """Each enterprise acted for used to cost its own queries; now the count is fixed."""

    def acted_for() -> list[int]:
        db.session.expire_all()
        statements.clear()
        found = enterprises_for(db.session, runtime.catalogue, world.consultant, "melccfp", TODAY)
        return [f.enterprise_id for f in found]

    assert len(acted_for()) == 2
    with_two = len(statements)
    third = factory.enterprise("Fonderie Mauricie inc.")
    third_esm = factory.person(enterprise=third, name="Luc Mauricie").account
    register(runtime, third_esm, "melccfp")
    consultant_verifies_for(runtime, world, third_esm, third)
    assert third.id in acted_for()
    assert len(statements) == with_two


def test_asked_again_it_is_not_read_again(runtime, world, second_client, statements):
    second_id = second_client.id
    first = enterprises_for(db.session, runtime.catalogue, world.consultant, "melccfp", TODAY)
    statements.clear()
    again = enterprises_for(db.session, runtime.catalogue, world.consultant, "melccfp", TODAY)
    one = rights_at(db.session, runtime.catalogue, world.consultant, second_id, "melccfp", TODAY)
    assert again == first
    assert one in first
    assert statements == []


def test_a_write_makes_it_read_again(runtime, world, second_client):
    before = enterprises_for(db.session, runtime.catalogue, world.consultant, "melccfp", TODAY)
    assert second_client.id in [f.enterprise_id for f in before]
    proxy = db.session.scalars(select(Proxy).where(Proxy.enterprise_id == second_client.id)).one()
    proxy.status = ProxyStatus.CANCELLED
    db.session.flush()
    after = enterprises_for(db.session, runtime.catalogue, world.consultant, "melccfp", TODAY)
    assert second_client.id not in [f.enterprise_id for f in after]


def test_an_account_change_not_yet_flushed_counts(runtime, world):
    assert held(runtime, world.esm, world.emitter)
    world.esm.status = AccountStatus.SUSPENDED
    assert held(runtime, world.esm, world.emitter) == frozenset()
