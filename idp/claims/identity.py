"""One internal identity per (person, enterprise acted for, ministry), mapped once to claims.

The OpenID Connect claims and the SAML attributes are both computed from :class:`Identity`,
so the two protocols can never disagree about who the person is, which enterprise they act for
and which rights they hold. Which fact goes where (scope, claim, SAML attribute) is the table
of :mod:`idp.claims.table`; this module computes the values, by the table's keys. The rights
come from :func:`idp.proxies.rights.rights_at`, evaluated at the moment the identity is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from idp.accounts.models import Account
from idp.claims.subjects import pairwise_subject
from idp.claims.table import FACTS, Fact
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.proxies.rights import EffectiveRights, RightsSource, rights_at
from idp.runtime import Runtime

# The RFC 9396 `authorization_details` type this provider publishes.
RIGHTS_DETAILS_TYPE = "clicsequr_rights"


@dataclass(frozen=True)
class Party:
    """An enterprise as relying parties see it."""

    neq: str
    name: str

    @classmethod
    def of(cls, enterprise: Enterprise) -> Party:
        return cls(enterprise.neq, enterprise.legal_name)

    def as_claim(self) -> dict[str, str]:
        return {"neq": self.neq, "name": self.name}


@dataclass(frozen=True)
class Identity:
    subject: str
    given_name: str
    family_name: str
    name: str
    email: str
    ministry_key: str
    # None for a citizen: they act for themselves.
    enterprise: Party | None
    # The person's own enterprise when acting under another enterprise's external proxy.
    agent: Party | None
    role: str
    rights: frozenset[str]
    source: RightsSource | None
    proxy_id: int | None
    proxy_valid_until: date | None


def build_identity(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    enterprise: Enterprise,
    ministry_key: str,
    today: date,
) -> Identity | None:
    """The identity for this ministry, or None when the person holds nothing there."""
    held = rights_at(session, runtime.catalogue, account, enterprise.id, ministry_key, today)
    if held is None:
        return None
    return identity_from_rights(session, runtime, account, enterprise, held)


def build_citizen_identity(
    session: DbSession, runtime: Runtime, account: Account, ministry_key: str
) -> Identity | None:
    """A citizen at a ministry: who they are, nothing about enterprises or rights."""
    if not account.is_citizen or not account.is_active:
        return None
    given, family = _names(account)
    return Identity(
        subject=pairwise_subject(session, runtime, account.id, ministry_key),
        given_name=given,
        family_name=family,
        name=account.display_name,
        email=account.email,
        ministry_key=ministry_key,
        enterprise=None,
        agent=None,
        role="citizen",
        rights=frozenset(),
        source=None,
        proxy_id=None,
        proxy_valid_until=None,
    )


def identity_from_rights(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    enterprise: Enterprise,
    held: EffectiveRights,
) -> Identity:
    """The identity for rights computed in this request (the enterprise the person chose)."""
    agent = None
    if held.source is RightsSource.EXTERNAL and account.enterprise is not None:
        agent = Party.of(account.enterprise)
    given, family = _names(account)
    return Identity(
        subject=pairwise_subject(session, runtime, account.id, held.ministry_key),
        given_name=given,
        family_name=family,
        name=account.display_name,
        email=account.email,
        ministry_key=held.ministry_key,
        enterprise=Party.of(enterprise),
        agent=agent,
        role="esm" if held.source is RightsSource.ESM else "user",
        rights=held.rights,
        source=held.source,
        proxy_id=held.proxy_id,
        proxy_valid_until=held.proxy_ends_on,
    )


def _names(account: Account) -> tuple[str, str]:
    if account.first_name and account.last_name:
        return account.first_name, account.last_name
    # Accounts made before names were split: the last word is taken as the family name.
    first, _sep, last = account.display_name.rpartition(" ")
    return (first, last) if first else ("", last)


def oidc_claims(identity: Identity, scopes: frozenset[str]) -> dict[str, Any]:
    """The claims released for ``scopes`` (OIDC Core 5.4, plus this provider's own)."""
    granted = granted_rights(identity, scopes)
    values = _fact_values(identity, granted)
    claims: dict[str, Any] = {}
    for fact in _facts_of(identity):
        if fact.claim is None or fact.key not in values:
            continue
        if not fact.released_by(scopes, rights_granted=bool(granted)):
            continue
        claim, _dot, field = fact.claim.partition(".")
        if field:
            claims.setdefault(claim, {})[field] = values[fact.key]
        else:
            claims[claim] = values[fact.key]
    return claims


def granted_rights(identity: Identity, scopes: frozenset[str]) -> frozenset[str]:
    """Rights the relying party asked for (as scopes) that the person holds right now."""
    return identity.rights & scopes


def authorization_details(identity: Identity, scopes: frozenset[str]) -> list[dict[str, Any]]:
    """The RFC 9396 ``authorization_details`` entry of the rights granted."""
    granted = granted_rights(identity, scopes)
    if not granted or identity.enterprise is None:
        return []
    values = _fact_values(identity, granted)
    detail: dict[str, Any] = {"type": RIGHTS_DETAILS_TYPE}
    for fact in FACTS:
        if fact.detail is not None and fact.key in values:
            detail[fact.detail] = values[fact.key]
    return [detail]


def saml_attributes(identity: Identity) -> dict[str, list[str]]:
    """The attributes of an assertion: the same facts as the OIDC claims of every scope."""
    values = _fact_values(identity, identity.rights)
    attributes: dict[str, list[str]] = {}
    for fact in _facts_of(identity):
        if fact.saml is None or fact.key not in values:
            continue
        value = values[fact.key]
        attributes[fact.saml.name] = value if isinstance(value, list) else [str(value)]
    # An empty value (a name of one word has no first name) is no attribute at all.
    return {name: values for name, values in attributes.items() if all(values)}


def _facts_of(identity: Identity) -> list[Fact]:
    """The rows of the table for this kind of account (a citizen acts for no enterprise)."""
    citizen = identity.enterprise is None
    return [fact for fact in FACTS if fact.holders.include(citizen=citizen)]


def _fact_values(identity: Identity, rights: frozenset[str]) -> dict[str, Any]:
    """The value of each fact of the table the person has, by key; ``rights``: those to tell."""
    values: dict[str, Any] = {
        "subject": identity.subject,
        "name": identity.name,
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "email": identity.email,
        # Every sign-in proves control of the address: the code is sent there.
        "email_verified": True,
        "ministry": identity.ministry_key,
    }
    if identity.enterprise is None:
        return values
    values.update(
        enterprise_neq=identity.enterprise.neq,
        enterprise_name=identity.enterprise.name,
        role=identity.role,
        rights=sorted(rights),
        rights_source=str(identity.source),
    )
    if identity.agent is not None:
        values.update(agent_neq=identity.agent.neq, agent_name=identity.agent.name)
    if identity.proxy_id is not None:
        values["proxy_id"] = str(identity.proxy_id)
    if identity.proxy_valid_until is not None:
        values["proxy_valid_until"] = identity.proxy_valid_until.isoformat()
    return values
