"""Who may see and do what with a proxy: small predicates, tested one by one."""

from __future__ import annotations

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
