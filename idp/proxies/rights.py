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

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from idp.accounts.models import Account, AccountRole
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise, EnterpriseStatus
from idp.ministries.catalogue import Catalogue, Ministry
from idp.ministries.models import MinistryRegistration, RegistrationStatus
from idp.proxies.models import (
    Proxy,
    ProxyAssignment,
    ProxyKind,
    ProxyMinistry,
    ProxyRight,
    proxy_in_force,
)

# Where held_rights keeps its answers in Session.info.
_MEMO_KEY = "idp.proxies.rights"


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
    return held_rights(session, catalogue, account, ministry_key, today).get(enterprise_id)


def enterprises_for(
    session: DbSession,
    catalogue: Catalogue,
    account: Account,
    ministry_key: str,
    today: date,
) -> list[EffectiveRights]:
    """Every enterprise the account may act for at the ministry, its own first."""
    return list(held_rights(session, catalogue, account, ministry_key, today).values())


def accounts_acting_for(session: DbSession, enterprise_id: int) -> set[int]:
    """The enterprise's staff and everyone holding one of its proxies: whose rights its
    standing or registrations decide."""
    staff = select(Account.id).where(Account.enterprise_id == enterprise_id)
    agents = (
        select(ProxyAssignment.account_id)
        .join(Proxy, Proxy.id == ProxyAssignment.proxy_id)
        .where(Proxy.enterprise_id == enterprise_id)
    )
    return set(session.scalars(staff)) | set(session.scalars(agents))


def held_rights(
    session: DbSession,
    catalogue: Catalogue,
    account: Account,
    ministry_key: str,
    today: date,
) -> dict[int, EffectiveRights]:
    """The rights held at the ministry, by enterprise acted for: its own first, then by id.

    One sign-in asks this several times (the enterprise choice, the chosen one's claims, the
    consent page), so the answer is kept in the database session until it next writes, commits
    or rolls back: whatever could change a proxy or a registration makes it read again.
    """
    memo: dict[tuple[object, ...], dict[int, EffectiveRights]]
    memo = session.info.setdefault(_MEMO_KEY, {})
    # The account's own facts are in the key: a change not yet flushed still counts.
    own = account.enterprise
    key = (
        account.id,
        account.status,
        account.role,
        account.enterprise_id,
        own.status if own is not None else None,
        ministry_key,
        today,
    )
    if key not in memo:
        memo[key] = _compute(session, catalogue, account, ministry_key, today)
    return memo[key]


@dataclass(slots=True)
class _HeldProxy:
    """The facts of one assigned proxy that grants something at the ministry: a flat row."""

    proxy_id: int
    kind: str
    status: str
    starts_on: date
    ends_on: date
    mandator_id: int
    agent_id: int | None
    unrestricted: bool
    right_ids: set[str] = field(default_factory=set)

    def in_force(self, today: date) -> bool:
        return proxy_in_force(self.status, self.starts_on, self.ends_on, today)

    def held_by(self, account: Account) -> bool:
        """An internal proxy is held by the mandator's staff; an external one by the agent's."""
        if self.kind == ProxyKind.EXTERNAL:
            return account.enterprise_id == self.agent_id
        return account.enterprise_id == self.mandator_id


# Built once: a sign-in asks for rights several times, and building a statement (not running
# it) is a good part of a short query's cost in Python.
_PROXIES_AT = (
    select(
        Proxy.id,
        Proxy.kind,
        Proxy.status,
        Proxy.starts_on,
        Proxy.ends_on,
        Proxy.enterprise_id,
        Proxy.agent_enterprise_id,
        ProxyMinistry.unrestricted,
        ProxyRight.right_id,
    )
    .join(ProxyAssignment, ProxyAssignment.proxy_id == Proxy.id)
    .join(ProxyMinistry, ProxyMinistry.proxy_id == Proxy.id)
    .outerjoin(ProxyRight, ProxyRight.proxy_ministry_id == ProxyMinistry.id)
    .where(
        ProxyAssignment.account_id == bindparam("account_id"),
        ProxyMinistry.ministry_key == bindparam("ministry_key"),
    )
)
# Registered there, and in good standing at clicSÉQUR: a suspended or cancelled mandator's
# proxies give nothing.
_ACTIVE_REGISTRATIONS = (
    select(MinistryRegistration.enterprise_id)
    .join(Enterprise, Enterprise.id == MinistryRegistration.enterprise_id)
    .where(
        MinistryRegistration.enterprise_id.in_(bindparam("candidates", expanding=True)),
        MinistryRegistration.ministry_key == bindparam("ministry_key"),
        MinistryRegistration.status == RegistrationStatus.ACTIVE,
        Enterprise.status == EnterpriseStatus.ACTIVE,
    )
)


def _compute(
    session: DbSession,
    catalogue: Catalogue,
    account: Account,
    ministry_key: str,
    today: date,
) -> dict[int, EffectiveRights]:
    ministry = catalogue.ministry(ministry_key)
    if ministry is None or not account.is_active:
        return {}
    # The people of an enterprise that is not active (pending, suspended, cancelled) hold no
    # right anywhere, not even those other enterprises' proxies would give them.
    if account.enterprise is not None and not account.enterprise.is_active:
        return {}
    # Two queries whatever the number of enterprises, columns only (no ORM objects to build):
    # the account's proxies that grant something at this ministry, with their chosen rights,
    # then which of the candidate enterprises are registered there.
    proxies = _proxies_at(session, account, ministry_key)
    candidates = [account.enterprise_id] if account.enterprise_id is not None else []
    candidates += [e for e in sorted(proxies) if e not in candidates]
    if not candidates:
        return {}
    registered = set(
        session.scalars(
            _ACTIVE_REGISTRATIONS, {"candidates": candidates, "ministry_key": ministry_key}
        )
    )
    held: dict[int, EffectiveRights] = {}
    for enterprise_id in candidates:
        if enterprise_id not in registered:
            continue
        if account.role == AccountRole.ESM and account.enterprise_id == enterprise_id:
            held[enterprise_id] = EffectiveRights(
                ministry_key, enterprise_id, ministry.right_ids, RightsSource.ESM
            )
            continue
        proxy = proxies.get(enterprise_id)
        found = proxy and _under_proxy(proxy, account, ministry, today)
        if found:
            held[enterprise_id] = found
    return held


def _proxies_at(session: DbSession, account: Account, ministry_key: str) -> dict[int, _HeldProxy]:
    """By mandator (one proxy each: the database enforces it)."""
    rows = session.execute(_PROXIES_AT, {"account_id": account.id, "ministry_key": ministry_key})
    proxies: dict[int, _HeldProxy] = {}
    for pid, kind, status, starts, ends, mandator, agent, unrestricted, right_id in rows:
        proxy = proxies.get(mandator)
        if proxy is None:
            proxy = _HeldProxy(
                pid, kind, status, starts, ends, mandator, agent, unrestricted, set()
            )
            proxies[mandator] = proxy
        if right_id is not None:
            proxy.right_ids.add(right_id)
    return proxies


def _under_proxy(
    proxy: _HeldProxy, account: Account, ministry: Ministry, today: date
) -> EffectiveRights | None:
    if not proxy.in_force(today) or not proxy.held_by(account):
        return None
    rights = ministry.right_ids if proxy.unrestricted else proxy.right_ids & ministry.right_ids
    if not rights:
        return None
    external = proxy.kind == ProxyKind.EXTERNAL
    return EffectiveRights(
        ministry_key=ministry.key,
        enterprise_id=proxy.mandator_id,
        rights=frozenset(rights),
        source=RightsSource.EXTERNAL if external else RightsSource.INTERNAL,
        proxy_id=proxy.proxy_id,
        proxy_ends_on=proxy.ends_on,
        agent_enterprise_id=account.enterprise_id if external else None,
    )


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_: object) -> None:
    session.info.pop(_MEMO_KEY, None)
