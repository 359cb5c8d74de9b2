"""Who may see and do what with a proxy: small predicates, tested one by one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from idp.accounts.models import Account
from idp.enterprises.policies import can_manage, is_esm_of
from idp.proxies.models import Proxy, ProxyKind


def assigning_enterprise_id(proxy: Proxy) -> int:
    """Whose ESM assigns the proxy: the mandator's for internal, the agent's for external."""
    if proxy.kind == ProxyKind.EXTERNAL and proxy.agent_enterprise_id is not None:
        return proxy.agent_enterprise_id
    return proxy.enterprise_id


def can_view(account: Account, proxy: Proxy) -> bool:
    """The mandator's ESMs, and for an external proxy the agent enterprise's ESMs."""
    return is_esm_of(account, proxy.enterprise_id) or is_esm_of(account, proxy.agent_enterprise_id)


def can_change(account: Account, proxy: Proxy) -> bool:
    """Change the end date or cancel: the mandator's ESMs only."""
    return can_manage(account, proxy.enterprise_id)


def can_assign(account: Account, proxy: Proxy) -> bool:
    """The assigning enterprise's ESMs: the mandator's (internal) or the agent's (external)."""
    return can_manage(account, assigning_enterprise_id(proxy))


def can_unassign(account: Account, proxy: Proxy) -> bool:
    """Withdraw an assignment: the mandator's or the assigning enterprise's ESMs."""
    return can_change(account, proxy) or can_assign(account, proxy)


# -- what a change to a proxy's rights does ------------------------------------------------------

# What a proxy gives at each ministry: None for « Sans restriction » (every right, present and
# future), else the rights chosen.
Grants = Mapping[str, frozenset[str] | None]


@dataclass(frozen=True)
class ProxyChange:
    """A proxy before and after: created (nothing before), its rights edited, or re-dated."""

    kind: str
    before: Grants
    after: Grants
    ends_before: date | None = None
    ends_after: date | None = None

    @classmethod
    def creation(cls, kind: str, after: Grants, ends_on: date) -> ProxyChange:
        return cls(kind, {}, after, None, ends_on)


def grants_of(proxy: Proxy) -> dict[str, frozenset[str] | None]:
    return {m.ministry_key: None if m.unrestricted else m.right_ids for m in proxy.ministries}


def _gives_more(before: frozenset[str] | None, after: frozenset[str] | None) -> bool:
    """At one ministry (a ministry absent before gives nothing: ``before`` is empty)."""
    if after is None:
        return before is not None
    return before is not None and bool(after - before)


def widens(change: ProxyChange) -> bool:
    """Something more is given: a ministry, a right, « Sans restriction », or later days."""
    if any(
        _gives_more(change.before.get(key, frozenset()), after)
        for key, after in change.after.items()
    ):
        return True
    ends_before, ends_after = change.ends_before, change.ends_after
    return ends_after is not None and (ends_before is None or ends_after > ends_before)


def lost_at(change: ProxyChange) -> tuple[str, ...]:
    """The ministries where something given before is not any more."""
    return tuple(
        key
        for key, before in change.before.items()
        if _gives_more(change.after.get(key, frozenset()), before)
    )


def loses_rights(change: ProxyChange) -> bool:
    """Something given before is not any more: the holders' sites must hear of it at once."""
    return bool(lost_at(change))


def newly_unrestricted(change: ProxyChange) -> bool:
    return any(
        after is None and change.before.get(key, frozenset()) is not None
        for key, after in change.after.items()
    )


def is_sensitive(change: ProxyChange) -> bool:
    """Needs the emailed code entered within the step-up window: a change that gives more,
    to another enterprise (external) or « Sans restriction » where it was not."""
    return widens(change) and (change.kind == ProxyKind.EXTERNAL or newly_unrestricted(change))
