"""Effective rights: for this account, acting for this enterprise, at this ministry, right now.

The one function the OIDC claims and the SAML attributes are computed from. The rules:

- an inactive account holds nothing;
- nothing is held at a ministry where the enterprise acted for is not registered and active;
- an ESM acting for its own enterprise holds every right of that ministry;
- anyone else holds the rights of the proxy that enterprise assigned to them, only while the
  proxy is in force (not cancelled, between its start and end dates), and for an external
  proxy only when the account belongs to the proxy's agent enterprise;
- « Sans restriction » means every right of the ministry in the catalogue today (present and
  future ones); otherwise the chosen rights that still exist in the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select

from idp.accounts.models import Account, AccountRole
from idp.db_types import DbSession
from idp.ministries.catalogue import Catalogue
from idp.ministries.models import MinistryRegistration, RegistrationStatus
from idp.proxies.models import Proxy, ProxyAssignment, ProxyKind


class RightsSource(StrEnum):
    ESM = "esm"
    INTERNAL = "internal"
    EXTERNAL = "external"


@dataclass(frozen=True, slots=True)
class EffectiveRights:
    """What the account may do at the ministry for the enterprise, and why."""

    ministry_key: str
    enterprise_id: int
    rights: frozenset[str]
    source: RightsSource
    proxy_id: int | None = None
    proxy_ends_on: date | None = None
    # The account's own enterprise when acting under an external proxy.
    agent_enterprise_id: int | None = None


def rights_at(
    session: DbSession,
    catalogue: Catalogue,
    account: Account,
    enterprise_id: int,
    ministry_key: str,
    today: date,
) -> EffectiveRights | None:
    """The rights held now, or None when the account holds nothing there."""
    ministry = catalogue.ministry(ministry_key)
    if ministry is None or not account.is_active:
        return None
    if not _is_registered(session, enterprise_id, ministry_key):
        return None
    if account.role == AccountRole.ESM and account.enterprise_id == enterprise_id:
        return EffectiveRights(ministry_key, enterprise_id, ministry.right_ids, RightsSource.ESM)
    assignment = session.scalars(
        select(ProxyAssignment).where(
            ProxyAssignment.account_id == account.id,
            ProxyAssignment.mandator_enterprise_id == enterprise_id,
        )
    ).one_or_none()
    if assignment is None:
        return None
    proxy = assignment.proxy
    if not proxy.is_in_force(today) or not _holder_fits(proxy, account):
        return None
    grant = proxy.grant_for(ministry_key)
    if grant is None:
        return None
    rights = ministry.right_ids if grant.unrestricted else grant.right_ids & ministry.right_ids
    if not rights:
        return None
    external = proxy.kind == ProxyKind.EXTERNAL
    return EffectiveRights(
        ministry_key=ministry_key,
        enterprise_id=enterprise_id,
        rights=frozenset(rights),
        source=RightsSource.EXTERNAL if external else RightsSource.INTERNAL,
        proxy_id=proxy.id,
        proxy_ends_on=proxy.ends_on,
        agent_enterprise_id=account.enterprise_id if external else None,
    )


def enterprises_for(
    session: DbSession,
    catalogue: Catalogue,
    account: Account,
    ministry_key: str,
    today: date,
) -> list[EffectiveRights]:
    """Every enterprise the account may act for at the ministry, its own first."""
    candidates: list[int] = []
    if account.enterprise_id is not None:
        candidates.append(account.enterprise_id)
    mandators = session.scalars(
        select(ProxyAssignment.mandator_enterprise_id)
        .where(ProxyAssignment.account_id == account.id)
        .order_by(ProxyAssignment.mandator_enterprise_id)
    )
    candidates += [m for m in mandators if m not in candidates]
    found = (rights_at(session, catalogue, account, e, ministry_key, today) for e in candidates)
    return [rights for rights in found if rights is not None]


def _is_registered(session: DbSession, enterprise_id: int, ministry_key: str) -> bool:
    status = session.scalar(
        select(MinistryRegistration.status).where(
            MinistryRegistration.enterprise_id == enterprise_id,
            MinistryRegistration.ministry_key == ministry_key,
        )
    )
    return status == RegistrationStatus.ACTIVE


def _holder_fits(proxy: Proxy, account: Account) -> bool:
    """An internal proxy is held by the mandator's staff; an external one by the agent's."""
    if proxy.kind == ProxyKind.EXTERNAL:
        return account.enterprise_id == proxy.agent_enterprise_id
    return account.enterprise_id == proxy.enterprise_id
