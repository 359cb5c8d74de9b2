"""One identity, mapped to OIDC claims and authorization details: ESM, internal, external."""

from __future__ import annotations

from datetime import date

import pytest

from idp.claims.identity import (
    RIGHTS_DETAILS_TYPE,
    authorization_details,
    build_identity,
    oidc_claims,
)
from idp.claims.subjects import pairwise_subject
from idp.extensions import db
from idp.proxies.models import ProxyKind
from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy

TODAY = date(2026, 11, 22)
OPERATOR, VERIFIER = "melccfp.iqea.operator", "melccfp.iqea.verifier"
ALL = frozenset({"openid", "profile", "email", "enterprise", OPERATOR, VERIFIER})


def give(runtime, world, kind, rights, holder, assigner):
    proxy = create_proxy(
        db.session,
        runtime,
        world.esm,
        enterprise_id=world.emitter.id,
        kind=kind,
        ends_on=date(2027, 6, 30),
        description="IQEA",
        grants=[MinistryGrant("melccfp", False, frozenset(rights))],
        agent_identifier=world.firm.neq if kind == ProxyKind.EXTERNAL else None,
        verified_at=runtime.clock(),
    )
    assign_proxy(db.session, runtime, assigner, proxy, [holder.id])
    db.session.commit()
    return proxy


def identity_of(runtime, account, enterprise, ministry="melccfp"):
    return build_identity(db.session, runtime, account, enterprise, ministry, TODAY)


def test_esm_identity_and_claims(runtime, world):
    identity = identity_of(runtime, world.esm, world.emitter)
    claims = oidc_claims(identity, ALL)
    assert claims["sub"] == pairwise_subject(db.session, runtime, world.esm.id, "melccfp")
    assert claims["enterprise"] == {"neq": world.emitter.neq, "name": world.emitter.legal_name}
    assert claims["role"] == "esm"
    assert "agent" not in claims
    assert claims["rights"] == [OPERATOR, VERIFIER]
    assert claims["email_verified"] is True
    assert (claims["given_name"], claims["family_name"]) == ("Marie", "Tremblay")


def test_internal_proxy_identity(runtime, world):
    proxy = give(runtime, world, ProxyKind.INTERNAL, {OPERATOR}, world.user, world.esm)
    identity = identity_of(runtime, world.user, world.emitter)
    claims = oidc_claims(identity, ALL)
    assert claims["role"] == "user"
    assert claims["rights"] == [OPERATOR]
    [detail] = authorization_details(identity, ALL)
    assert detail == {
        "type": RIGHTS_DETAILS_TYPE,
        "ministry": "melccfp",
        "enterprise": world.emitter.neq,
        "rights": [OPERATOR],
        "source": "internal",
        "proxy_id": str(proxy.id),
        "proxy_valid_until": "2027-06-30",
    }


def test_external_proxy_names_the_agent(runtime, world):
    give(runtime, world, ProxyKind.EXTERNAL, {VERIFIER}, world.consultant, world.firm_esm)
    identity = identity_of(runtime, world.consultant, world.emitter)
    claims = oidc_claims(identity, ALL)
    assert claims["enterprise"]["neq"] == world.emitter.neq
    assert claims["agent"] == {"neq": world.firm.neq, "name": world.firm.legal_name}
    assert authorization_details(identity, ALL)[0]["agent"] == world.firm.neq


@pytest.mark.parametrize(
    ("scopes", "present", "absent"),
    [
        ({"openid"}, {"sub"}, {"name", "email", "enterprise", "rights"}),
        ({"openid", "profile"}, {"name", "given_name"}, {"email", "enterprise"}),
        ({"openid", "email"}, {"email", "email_verified"}, {"name", "rights"}),
        ({"openid", "enterprise"}, {"enterprise", "role"}, {"rights", "email"}),
    ],
)
def test_claims_follow_the_scopes(runtime, world, scopes, present, absent):
    claims = oidc_claims(identity_of(runtime, world.esm, world.emitter), frozenset(scopes))
    assert present <= set(claims)
    assert not absent & set(claims)


def test_only_asked_rights_that_are_held_are_granted(runtime, world):
    give(runtime, world, ProxyKind.INTERNAL, {OPERATOR}, world.user, world.esm)
    identity = identity_of(runtime, world.user, world.emitter)
    asked_verifier_only = frozenset({"openid", VERIFIER})
    assert "rights" not in oidc_claims(identity, asked_verifier_only)
    assert authorization_details(identity, asked_verifier_only) == []


def test_no_identity_without_rights_or_at_another_ministry(runtime, world):
    assert identity_of(runtime, world.user, world.emitter) is None
    give(runtime, world, ProxyKind.INTERNAL, {OPERATOR}, world.user, world.esm)
    assert identity_of(runtime, world.user, world.emitter, "amf") is None
    esm_at_amf = identity_of(runtime, world.esm, world.emitter, "amf")
    assert esm_at_amf.subject != identity_of(runtime, world.esm, world.emitter).subject
    assert OPERATOR not in esm_at_amf.rights
