"""What the proxy pages show: lists, holders, who may be assigned, and who may see what."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import func, select

from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.db_types import DbSession
from idp.errors import NotFoundError
from idp.proxies.models import Proxy, ProxyAssignment, ProxyKind, ProxyStatus
from idp.proxies.policies import assigning_enterprise_id


class ProxyState(StrEnum):
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


_STATE_ORDER = {ProxyState.IN_FORCE: 0, ProxyState.EXPIRED: 1, ProxyState.CANCELLED: 2}


def state_of(proxy: Proxy, today: date) -> ProxyState:
    """In force, expired (past its end date) or cancelled: shown as text on every page."""
    if proxy.status == ProxyStatus.CANCELLED:
        return ProxyState.CANCELLED
    return ProxyState.IN_FORCE if proxy.is_in_force(today) else ProxyState.EXPIRED


# -- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProxyRow:
    proxy: Proxy
    state: ProxyState
    holder_count: int


def given_by(session: DbSession, enterprise_id: int, today: date) -> list[ProxyRow]:
    """The enterprise's proxies, internal and external: in force first, newest first."""
    proxies = session.scalars(
        select(Proxy).where(Proxy.enterprise_id == enterprise_id).order_by(Proxy.id.desc())
    ).all()
    counts = _holder_counts(session, [p.id for p in proxies])
    return _rows(proxies, counts, today)


def received_by(session: DbSession, enterprise_id: int, today: date) -> list[ProxyRow]:
    """External proxies whose agent is the enterprise; holders counted among its own staff."""
    proxies = session.scalars(
        select(Proxy)
        .where(Proxy.kind == ProxyKind.EXTERNAL, Proxy.agent_enterprise_id == enterprise_id)
        .order_by(Proxy.id.desc())
    ).all()
    counts = _holder_counts(session, [p.id for p in proxies], holder_enterprise_id=enterprise_id)
    return _rows(proxies, counts, today)


def _rows(proxies: Collection[Proxy], counts: dict[int, int], today: date) -> list[ProxyRow]:
    rows = [ProxyRow(p, state_of(p, today), counts.get(p.id, 0)) for p in proxies]
    return sorted(rows, key=lambda row: _STATE_ORDER[row.state])


def _holder_counts(
    session: DbSession, proxy_ids: list[int], *, holder_enterprise_id: int | None = None
) -> dict[int, int]:
    if not proxy_ids:
        return {}
    query = (
        select(ProxyAssignment.proxy_id, func.count())
        .join(Account, Account.id == ProxyAssignment.account_id)
        .where(ProxyAssignment.proxy_id.in_(proxy_ids))
        .group_by(ProxyAssignment.proxy_id)
    )
    if holder_enterprise_id is not None:
        query = query.where(Account.enterprise_id == holder_enterprise_id)
    return {proxy_id: int(count) for proxy_id, count in session.execute(query)}


# -- holders and assignment ----------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    assignment: ProxyAssignment
    account: Account


def holders(
    session: DbSession,
    proxy: Proxy,
    *,
    enterprise_id: int | None = None,
    account_ids: Collection[int] | None = None,
) -> list[Holder]:
    """Who holds the proxy, by name; optionally only staff of one enterprise, or some accounts."""
    query = (
        select(ProxyAssignment, Account)
        .join(Account, Account.id == ProxyAssignment.account_id)
        .where(ProxyAssignment.proxy_id == proxy.id)
        .order_by(Account.display_name, Account.id)
    )
    if enterprise_id is not None:
        query = query.where(Account.enterprise_id == enterprise_id)
    if account_ids is not None:
        query = query.where(Account.id.in_(list(account_ids)))
    return [Holder(assignment, account) for assignment, account in session.execute(query)]


def assignable_accounts(session: DbSession, proxy: Proxy, today: date) -> list[Account]:
    """Active staff of the assigning enterprise who hold no proxy in force from the mandator.

    A person holds one proxy per mandator; an assignment to an expired proxy holds nothing and
    makes way for a new one. An internal proxy is not offered to the mandator's ESMs, who
    already hold every right of their own enterprise.
    """
    holder_enterprise = assigning_enterprise_id(proxy)
    held = (
        select(ProxyAssignment.account_id)
        .join(Proxy, Proxy.id == ProxyAssignment.proxy_id)
        .where(
            ProxyAssignment.mandator_enterprise_id == proxy.enterprise_id,
            Proxy.status == ProxyStatus.ACTIVE,
            Proxy.starts_on <= today,
            Proxy.ends_on >= today,
        )
    )
    query = (
        select(Account)
        .where(
            Account.enterprise_id == holder_enterprise,
            Account.status == AccountStatus.ACTIVE,
            Account.id.not_in(held),
        )
        .order_by(Account.display_name, Account.id)
    )
    if proxy.kind == ProxyKind.INTERNAL:
        query = query.where(Account.role != AccountRole.ESM)
    return list(session.scalars(query))


def find_assignment(session: DbSession, assignment_id: int) -> ProxyAssignment:
    assignment = session.get(ProxyAssignment, assignment_id)
    if assignment is None:
        raise NotFoundError()
    return assignment
