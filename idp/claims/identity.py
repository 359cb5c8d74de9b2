"""One internal identity per (person, enterprise acted for, ministry), mapped once to claims.

The OpenID Connect claims and, later, the SAML attributes are both computed from
:class:`Identity`, so the two protocols can never disagree about who the person is, which
enterprise they act for and which rights they hold. The rights come from
:func:`idp.proxies.rights.rights_at`, evaluated at the moment the identity is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from idp.accounts.models import Account
from idp.claims.subjects import pairwise_subject
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
    claims: dict[str, Any] = {"sub": identity.subject}
    if "profile" in scopes:
        claims.update(
            name=identity.name,
            given_name=identity.given_name,
            family_name=identity.family_name,
        )
    if "email" in scopes:
        # Every sign-in proves control of the address: the code is sent there.
        claims.update(email=identity.email, email_verified=True)
    if "enterprise" in scopes and identity.enterprise is not None:
        claims["enterprise"] = identity.enterprise.as_claim()
        claims["role"] = identity.role
        if identity.agent is not None:
            claims["agent"] = identity.agent.as_claim()
    granted = granted_rights(identity, scopes)
    if granted:
        claims["rights"] = sorted(granted)
    return claims


def granted_rights(identity: Identity, scopes: frozenset[str]) -> frozenset[str]:
    """Rights the relying party asked for (as scopes) that the person holds right now."""
    return identity.rights & scopes


def authorization_details(identity: Identity, scopes: frozenset[str]) -> list[dict[str, Any]]:
    """The RFC 9396 ``authorization_details`` entry of the rights granted."""
    granted = granted_rights(identity, scopes)
    if not granted or identity.enterprise is None:
        return []
    detail: dict[str, Any] = {
        "type": RIGHTS_DETAILS_TYPE,
        "ministry": identity.ministry_key,
        "enterprise": identity.enterprise.neq,
        "rights": sorted(granted),
        "source": str(identity.source),
    }
    if identity.proxy_id is not None:
        detail["proxy_id"] = str(identity.proxy_id)
    if identity.proxy_valid_until is not None:
        detail["proxy_valid_until"] = identity.proxy_valid_until.isoformat()
    if identity.agent is not None:
        detail["agent"] = identity.agent.neq
    return [detail]


# SAML attribute names (NameFormat uri): directory OIDs for the person, this provider's URNs
# for the enterprise and the rights (docs/saml.md).
SAML_GIVEN_NAME = "urn:oid:2.5.4.42"
SAML_FAMILY_NAME = "urn:oid:2.5.4.4"
SAML_DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
SAML_EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"
SAML_ATTRIBUTE_PREFIX = "urn:clicsequr:attribute:"


def saml_attributes(identity: Identity) -> dict[str, list[str]]:
    """The attributes of an assertion: the same facts as the OIDC claims of every scope."""
    prefix = SAML_ATTRIBUTE_PREFIX
    person: dict[str, list[str]] = {
        SAML_GIVEN_NAME: [identity.given_name],
        SAML_FAMILY_NAME: [identity.family_name],
        SAML_DISPLAY_NAME: [identity.name],
        SAML_EMAIL: [identity.email],
        f"{prefix}ministry": [identity.ministry_key],
    }
    if identity.enterprise is None:
        # A citizen: the person, and nothing about enterprises or rights.
        return {name: values for name, values in person.items() if all(values)}
    attributes: dict[str, list[str]] = {
        **person,
        f"{prefix}enterprise-neq": [identity.enterprise.neq],
        f"{prefix}enterprise-name": [identity.enterprise.name],
        f"{prefix}role": [identity.role],
        f"{prefix}rights": sorted(identity.rights),
        f"{prefix}rights-source": [str(identity.source)],
    }
    if identity.agent is not None:
        attributes[f"{prefix}agent-neq"] = [identity.agent.neq]
        attributes[f"{prefix}agent-name"] = [identity.agent.name]
    if identity.proxy_id is not None:
        attributes[f"{prefix}proxy-id"] = [str(identity.proxy_id)]
    if identity.proxy_valid_until is not None:
        attributes[f"{prefix}proxy-valid-until"] = [identity.proxy_valid_until.isoformat()]
    return {name: values for name, values in attributes.items() if all(values)}
