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
