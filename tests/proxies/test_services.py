"""Proxy rules: dates, ministries, agents, assignment, and who may do what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.errors import ConflictError, ForbiddenError, ValidationError
from idp.extensions import db
from idp.proxies.models import ProxyAssignment, ProxyKind
from idp.proxies.services import (
    MinistryGrant,
    assign_proxy,
    cancel_proxy,
    change_end_date,
    create_proxy,
    unassign_proxy,
)
from tests.grants import iqea_grant

IQEA = frozenset({"melccfp.iqea.operator"})
TODAY = date(2026, 11, 22)  # the test clock's day


def new_proxy(runtime, world, **overrides):
    args = {
        "enterprise_id": world.emitter.id,
        "kind": ProxyKind.INTERNAL,
        "ends_on": date(2027, 6, 30),
        "description": "Déclaration IQEA",
        "grants": [MinistryGrant("melccfp", False, IQEA)],
        "verified_at": runtime.clock(),
    }
    args.update(overrides)
    actor = args.pop("actor", world.esm)
    proxy = create_proxy(db.session, runtime, actor, **args)
    db.session.commit()
    return proxy


@pytest.mark.parametrize(
    ("ends_on", "accepted"),
    [
        (date(2029, 11, 21), True),  # three years less a day: the last day allowed
        (date(2029, 11, 22), False),  # three years: one day too many
        (TODAY, True),
        (TODAY - timedelta(days=1), False),
    ],
)
def test_end_date_limit(runtime, world, ends_on, accepted):
    if accepted:
        assert new_proxy(runtime, world, ends_on=ends_on).ends_on == ends_on
    else:
        with pytest.raises(ValidationError) as error:
            new_proxy(runtime, world, ends_on=ends_on)
        assert error.value.details["field"] == "ends_on"


def test_limit_message_names_the_latest_date(runtime, world, app):
    with app.test_request_context("/?lang=fr"), pytest.raises(ValidationError) as error:
        new_proxy(runtime, world, ends_on=date(2030, 1, 1))
    assert "21 novembre 2029" in str(error.value.message)


def test_extension_counts_from_the_day_of_the_change(runtime, world, clock):
    proxy = new_proxy(runtime, world)
    clock.advance(days=100)
    day = clock.now.date()
    latest = date(day.year + 3, day.month, day.day) - timedelta(days=1)
    change_end_date(db.session, runtime, world.esm, proxy, latest)
    assert proxy.ends_on == latest
    with pytest.raises(ValidationError):
        change_end_date(db.session, runtime, world.esm, proxy, latest + timedelta(days=1))


def test_expired_proxy_cannot_be_extended_or_assigned(runtime, world, clock):
    proxy = new_proxy(runtime, world, ends_on=TODAY + timedelta(days=1))
    clock.advance(days=2)
    with pytest.raises(ConflictError):
        change_end_date(db.session, runtime, world.esm, proxy, TODAY + timedelta(days=30))
    with pytest.raises(ConflictError):
        assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])


def test_only_active_ministries_can_be_granted(runtime, world, factory):
    from .conftest import register

    other = factory.enterprise("Scierie du Nord inc.")
    esm = factory.person(enterprise=other, name="Paul Nord").account
    register(runtime, esm, "melccfp", activate=False)
    with pytest.raises(ValidationError):
        create_proxy(
            db.session,
            runtime,
            esm,
            enterprise_id=other.id,
            kind=ProxyKind.INTERNAL,
            ends_on=date(2027, 1, 1),
            description="x",
            grants=[MinistryGrant("melccfp", True)],
        )


@pytest.mark.parametrize(
    "grants",
    [
        [],
        [MinistryGrant("melccfp", False, frozenset())],
        [MinistryGrant("melccfp", False, frozenset({"amf.payments"}))],
        [MinistryGrant("melccfp", False, frozenset({"melccfp.nothing"}))],
        [MinistryGrant("unknown", True)],
        [MinistryGrant("melccfp", True), MinistryGrant("melccfp", True)],
    ],
)
def test_grants_must_name_rights_of_active_ministries(runtime, world, grants):
    with pytest.raises(ValidationError):
        new_proxy(runtime, world, grants=grants)


@pytest.mark.parametrize(
    ("identifier", "why"),
    [(None, "missing"), ("123", "short"), ("9999999999", "unknown"), ("own", "self")],
)
def test_external_proxy_needs_another_known_enterprise(runtime, world, identifier, why):
    if identifier == "own":
        identifier = world.emitter.neq
    with pytest.raises(ValidationError):
        new_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=identifier)


def test_a_user_holds_one_proxy_per_granting_enterprise(runtime, world):
    first = new_proxy(runtime, world)
    second = new_proxy(runtime, world, description="Autre")
    assign_proxy(db.session, runtime, world.esm, first, [world.user.id])
    db.session.commit()
    with pytest.raises(ConflictError):
        assign_proxy(db.session, runtime, world.esm, second, [world.user.id])
    db.session.rollback()


def test_database_refuses_a_second_assignment_from_the_same_mandator(runtime, world):
    from sqlalchemy.exc import IntegrityError

    first = new_proxy(runtime, world)
    second = new_proxy(runtime, world, description="Autre")
    for proxy in (first, second):
        db.session.add(
            ProxyAssignment(
                proxy_id=proxy.id,
                account_id=world.user.id,
                mandator_enterprise_id=world.emitter.id,
                assigned_at=runtime.clock(),
                assigned_by_id=world.esm.id,
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_consultant_holds_proxies_from_several_clients(second_client):
    assert len(db.session.scalars(select(ProxyAssignment)).all()) == 2


def test_expired_assignment_makes_way_for_a_new_proxy(runtime, world, clock):
    old = new_proxy(runtime, world, ends_on=TODAY)
    assign_proxy(db.session, runtime, world.esm, old, [world.user.id])
    db.session.commit()
    clock.advance(days=1)
    fresh = new_proxy(runtime, world, ends_on=TODAY + timedelta(days=60))
    assign_proxy(db.session, runtime, world.esm, fresh, [world.user.id])
    db.session.commit()
    held = db.session.scalars(select(ProxyAssignment.proxy_id)).all()
    assert held == [fresh.id]


def test_cancel_withdraws_assignments_and_blocks_assigning(runtime, world):
    proxy = new_proxy(runtime, world)
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id, world.other_user.id])
    assert cancel_proxy(db.session, runtime, world.esm, proxy) == 2
    db.session.commit()
    with pytest.raises(ConflictError):
        assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])


def test_external_proxy_is_assigned_by_the_agent_esm_to_its_own_staff(runtime, world):
    proxy = new_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=world.firm.neq)
    with pytest.raises(ForbiddenError):  # the mandator's ESM does not assign it
        assign_proxy(db.session, runtime, world.esm, proxy, [world.consultant.id])
    with pytest.raises(ForbiddenError):  # nor to the mandator's staff
        assign_proxy(db.session, runtime, world.firm_esm, proxy, [world.user.id])
    [assignment] = assign_proxy(db.session, runtime, world.firm_esm, proxy, [world.consultant.id])
    db.session.commit()
    # The mandator's ESM sees and may withdraw it.
    unassign_proxy(db.session, runtime, world.esm, assignment)
    db.session.commit()
    assert db.session.scalars(select(ProxyAssignment)).all() == []


def test_an_esm_cannot_act_on_another_enterprise(runtime, world):
    proxy = new_proxy(runtime, world)
    with pytest.raises(ForbiddenError):
        new_proxy(runtime, world, actor=world.firm_esm)
    for act in (
        lambda: change_end_date(db.session, runtime, world.firm_esm, proxy, date(2027, 1, 1)),
        lambda: cancel_proxy(db.session, runtime, world.firm_esm, proxy),
        lambda: assign_proxy(db.session, runtime, world.firm_esm, proxy, [world.user.id]),
    ):
        with pytest.raises(ForbiddenError):
            act()


def test_a_user_cannot_manage_proxies(runtime, world):
    with pytest.raises(ForbiddenError):
        new_proxy(runtime, world, actor=world.user)


def test_every_change_is_audited(runtime, world):
    proxy = new_proxy(runtime, world)
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    change_end_date(db.session, runtime, world.esm, proxy, date(2028, 1, 1))
    cancel_proxy(db.session, runtime, world.esm, proxy)
    db.session.commit()
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("proxies:%")).order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "proxies:proxy:create",
        "proxies:assignment:create",
        "proxies:proxy:extend",
        "proxies:proxy:cancel",
    ]


def test_the_holder_is_told_in_the_mailbox_when_a_proxy_is_assigned_and_withdrawn(runtime, world):
    from idp.mailbox.models import MailboxMessage, MessageKind

    proxy = new_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=world.firm.neq)
    [assignment] = assign_proxy(db.session, runtime, world.firm_esm, proxy, [world.consultant.id])
    db.session.commit()
    unassign_proxy(db.session, runtime, world.esm, assignment)
    db.session.commit()
    received = db.session.scalars(
        select(MailboxMessage)
        .where(MailboxMessage.account_id == world.consultant.id)
        .order_by(MailboxMessage.id)
    ).all()
    assert [m.kind for m in received] == [MessageKind.PROXY_ASSIGNED, MessageKind.PROXY_WITHDRAWN]
    assigned, withdrawn = received
    mandator = world.emitter.legal_name
    assert assigned.subject_fr.startswith("Procuration attribuée")
    assert mandator in assigned.subject_fr
    assert f"« {proxy.description} »" in assigned.body_fr
    assert proxy.ends_on.isoformat() in assigned.body_en
    assert f"« {proxy.description} »" in withdrawn.body_fr
    assert "withdrawn" in withdrawn.subject_en


# -- changing what a proxy gives ------------------------------------------------------------------

VERIFIER = frozenset({"melccfp.iqea.verifier"})


def _change(runtime, world, proxy, grants, *, actor=None, description=None, verified_at=None):
    from idp.proxies.services import change_proxy

    change = change_proxy(
        db.session,
        runtime,
        actor or world.esm,
        proxy,
        description=proxy.description if description is None else description,
        grants=grants,
        verified_at=verified_at,
    )
    db.session.commit()
    return change


def _holder_grant(runtime, account):
    grant = iqea_grant(runtime, account)
    db.session.commit()
    return grant


def test_a_right_taken_away_ends_the_holders_grants_at_once(runtime, world):
    proxy = new_proxy(runtime, world, grants=[MinistryGrant("melccfp", False, IQEA | VERIFIER)])
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    db.session.commit()
    grant = _holder_grant(runtime, world.user)

    change = _change(runtime, world, proxy, [MinistryGrant("melccfp", False, IQEA)])

    assert change.after == {"melccfp": IQEA}
    db.session.expire_all()
    assert [m.right_ids for m in proxy.ministries] == [IQEA]
    assert db.session.get(type(grant), grant.id).revoked_at is not None


def test_a_right_added_leaves_the_grants_and_applies_at_the_next_sign_in(runtime, world):
    proxy = new_proxy(runtime, world)
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    db.session.commit()
    grant = _holder_grant(runtime, world.user)

    _change(runtime, world, proxy, [MinistryGrant("melccfp", False, IQEA | VERIFIER)])

    db.session.expire_all()
    assert [m.right_ids for m in proxy.ministries] == [IQEA | VERIFIER]
    assert db.session.get(type(grant), grant.id).revoked_at is None


def test_a_change_can_add_and_drop_ministries_and_lift_the_restriction(runtime, world):
    proxy = new_proxy(runtime, world)
    _change(
        runtime,
        world,
        proxy,
        [MinistryGrant("amf", True)],
        verified_at=runtime.clock(),
    )
    db.session.expire_all()
    assert [(m.ministry_key, m.unrestricted, m.right_ids) for m in proxy.ministries] == [
        ("amf", True, frozenset())
    ]
    # And back, in one flush: no unique constraint trips on a row deleted and re-added.
    _change(runtime, world, proxy, [MinistryGrant("melccfp", False, IQEA)])
    db.session.expire_all()
    assert [(m.ministry_key, m.right_ids) for m in proxy.ministries] == [("melccfp", IQEA)]


def test_a_change_that_gives_more_to_another_enterprise_needs_a_recent_code(runtime, world, clock):
    from idp.errors import StepUpRequiredError

    proxy = new_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=world.firm.neq)
    clock.advance(hours=1)
    wider = [MinistryGrant("melccfp", False, IQEA | VERIFIER)]
    with pytest.raises(StepUpRequiredError):
        _change(runtime, world, proxy, wider, verified_at=runtime.clock() - timedelta(hours=1))
    db.session.rollback()
    # Narrower, or the same rights with a new description: no code needed.
    _change(runtime, world, proxy, [MinistryGrant("melccfp", False, IQEA)], description="Autre")
    _change(runtime, world, proxy, wider, verified_at=runtime.clock())
    db.session.expire_all()
    assert [m.right_ids for m in proxy.ministries] == [IQEA | VERIFIER]


def test_a_change_that_lifts_the_restriction_needs_a_recent_code(runtime, world, clock):
    from idp.errors import StepUpRequiredError

    proxy = new_proxy(runtime, world)
    clock.advance(hours=1)
    with pytest.raises(StepUpRequiredError):
        _change(runtime, world, proxy, [MinistryGrant("melccfp", True)])


@pytest.mark.parametrize(
    ("grants", "description", "field"),
    [
        ([MinistryGrant("melccfp", False, IQEA)], None, "grants"),  # nothing changed
        ([MinistryGrant("melccfp", False, IQEA)], "  ", "description"),
        ([], None, "grants"),
        ([MinistryGrant("melccfp", False, frozenset({"amf.payments"}))], None, "grants"),
    ],
)
def test_a_change_is_refused_with_the_field_to_correct(runtime, world, grants, description, field):
    proxy = new_proxy(runtime, world)
    with pytest.raises(ValidationError) as error:
        _change(runtime, world, proxy, grants, description=description)
    assert error.value.details["field"] == field


def test_only_the_mandators_esm_changes_a_proxy_in_force(runtime, world, clock):
    proxy = new_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=world.firm.neq)
    wider = [MinistryGrant("melccfp", True)]
    for actor in (world.firm_esm, world.user):
        with pytest.raises(ForbiddenError):
            _change(runtime, world, proxy, wider, actor=actor, verified_at=runtime.clock())
    cancel_proxy(db.session, runtime, world.esm, proxy)
    db.session.commit()
    with pytest.raises(ConflictError):
        _change(runtime, world, proxy, [MinistryGrant("melccfp", False, VERIFIER)])


def test_a_change_is_audited_with_before_and_after_and_told_to_holders_and_agent(runtime, world):
    from idp.mailbox.models import MailboxMessage, MessageKind

    proxy = new_proxy(
        runtime,
        world,
        kind=ProxyKind.EXTERNAL,
        agent_identifier=world.firm.neq,
        grants=[MinistryGrant("melccfp", False, IQEA | VERIFIER)],
    )
    assign_proxy(db.session, runtime, world.firm_esm, proxy, [world.consultant.id])
    db.session.commit()

    _change(runtime, world, proxy, [MinistryGrant("melccfp", False, IQEA)], description="Vérif")

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "proxies:proxy:change")
    ).one()
    assert event.details["before"] == {"melccfp": sorted(IQEA | VERIFIER)}
    assert event.details["after"] == {"melccfp": sorted(IQEA)}
    assert (event.details["description_before"], event.details["description_after"]) == (
        "Déclaration IQEA",
        "Vérif",
    )
    told = db.session.scalars(
        select(MailboxMessage.account_id).where(MailboxMessage.kind == MessageKind.PROXY_CHANGED)
    ).all()
    assert sorted(told) == sorted([world.consultant.id, world.firm_esm.id])
