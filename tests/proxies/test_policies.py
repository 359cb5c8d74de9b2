"""Proxy policies, one predicate at a time."""

from __future__ import annotations

from datetime import date

import pytest

from idp.extensions import db
from idp.proxies import policies
from idp.proxies.models import ProxyKind
from idp.proxies.services import MinistryGrant, create_proxy


@pytest.fixture
def proxies(runtime, world):
    made = {}
    for kind in ProxyKind:
        made[kind] = create_proxy(
            db.session,
            runtime,
            world.esm,
            enterprise_id=world.emitter.id,
            kind=kind,
            ends_on=date(2027, 1, 1),
            description=str(kind),
            grants=[MinistryGrant("melccfp", False, frozenset({"melccfp.iqea.operator"}))],
            agent_identifier=world.firm.neq if kind == ProxyKind.EXTERNAL else None,
            verified_at=runtime.clock(),
        )
    db.session.commit()
    return made


@pytest.mark.parametrize(
    ("who", "kind", "view", "change", "assign", "unassign"),
    [
        ("esm", ProxyKind.INTERNAL, True, True, True, True),
        ("esm", ProxyKind.EXTERNAL, True, True, False, True),
        ("firm_esm", ProxyKind.INTERNAL, False, False, False, False),
        ("firm_esm", ProxyKind.EXTERNAL, True, False, True, True),
        ("user", ProxyKind.INTERNAL, False, False, False, False),
        ("consultant", ProxyKind.EXTERNAL, False, False, False, False),
    ],
)
def test_policies(world, proxies, who, kind, view, change, assign, unassign):
    account, proxy = getattr(world, who), proxies[kind]
    assert policies.can_view(account, proxy) is view
    assert policies.can_change(account, proxy) is change
    assert policies.can_assign(account, proxy) is assign
    assert policies.can_unassign(account, proxy) is unassign


def test_assigning_enterprise(world, proxies):
    assert policies.assigning_enterprise_id(proxies[ProxyKind.INTERNAL]) == world.emitter.id
    assert policies.assigning_enterprise_id(proxies[ProxyKind.EXTERNAL]) == world.firm.id


# -- what a change to a proxy gives ---------------------------------------------------------------

A, B = "melccfp.iqea.operator", "melccfp.iqea.verifier"
ALL = None  # « Sans restriction »
INTERNAL, EXTERNAL = ProxyKind.INTERNAL.value, ProxyKind.EXTERNAL.value


@pytest.mark.parametrize(
    ("why", "kind", "before", "after", "widens", "loses", "sensitive"),
    [
        ("a right added", INTERNAL, {"m": {A}}, {"m": {A, B}}, True, False, False),
        ("a right added, external", EXTERNAL, {"m": {A}}, {"m": {A, B}}, True, False, True),
        ("a right taken away", EXTERNAL, {"m": {A, B}}, {"m": {A}}, False, True, False),
        ("one right for another", INTERNAL, {"m": {A}}, {"m": {B}}, True, True, False),
        ("made unrestricted", INTERNAL, {"m": {A}}, {"m": ALL}, True, False, True),
        ("made restricted", INTERNAL, {"m": ALL}, {"m": {A, B}}, False, True, False),
        ("a ministry added", INTERNAL, {"m": {A}}, {"m": {A}, "n": {B}}, True, False, False),
        (
            "a ministry added, unrestricted",
            INTERNAL,
            {"m": {A}},
            {"m": {A}, "n": ALL},
            True,
            False,
            True,
        ),
        ("a ministry removed", EXTERNAL, {"m": {A}, "n": ALL}, {"m": {A}}, False, True, False),
        ("unrestricted stays", INTERNAL, {"m": ALL}, {"m": ALL, "n": {A}}, True, False, False),
        ("nothing", EXTERNAL, {"m": {A}}, {"m": {A}}, False, False, False),
    ],
)
def test_what_a_change_of_rights_does(why, kind, before, after, widens, loses, sensitive):
    def frozen(grants):
        return {k: None if v is None else frozenset(v) for k, v in grants.items()}

    change = policies.ProxyChange(kind, frozen(before), frozen(after))
    assert policies.widens(change) is widens, why
    assert policies.loses_rights(change) is loses, why
    assert policies.is_sensitive(change) is sensitive, why


@pytest.mark.parametrize(
    ("kind", "after", "sensitive"),
    [
        (INTERNAL, {"m": frozenset({A})}, False),
        (INTERNAL, {"m": ALL}, True),
        (EXTERNAL, {"m": frozenset({A})}, True),
    ],
)
def test_a_new_proxy_is_sensitive_when_external_or_unrestricted(kind, after, sensitive):
    change = policies.ProxyChange.creation(kind, after, date(2027, 1, 1))
    assert policies.is_sensitive(change) is sensitive


@pytest.mark.parametrize(
    ("kind", "ends_after", "sensitive"),
    [
        (EXTERNAL, date(2027, 6, 1), True),  # later: the agent holds it longer
        (EXTERNAL, date(2026, 12, 31), False),  # sooner
        (INTERNAL, date(2027, 6, 1), False),
    ],
)
def test_moving_the_end_date_is_sensitive_when_an_external_proxy_lasts_longer(
    kind, ends_after, sensitive
):
    same = {"m": frozenset({A})}
    change = policies.ProxyChange(kind, same, same, date(2027, 1, 1), ends_after)
    assert policies.is_sensitive(change) is sensitive
