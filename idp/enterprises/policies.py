"""Who may do what for an enterprise: small predicates, tested one by one."""

from __future__ import annotations

from idp.accounts.models import Account, AccountRole


def is_esm_of(account: Account, enterprise_id: int | None) -> bool:
    """An active electronic services manager of exactly this enterprise."""
    return (
        enterprise_id is not None
        and account.is_active
        and account.role == AccountRole.ESM
        and account.enterprise_id == enterprise_id
    )


def can_manage(account: Account, enterprise_id: int | None) -> bool:
    """Manage the enterprise's user files, registrations and proxies: its own ESMs only."""
    return is_esm_of(account, enterprise_id)


def is_operator_of(account: Account, ministry_key: str) -> bool:
    """An active ministry operator of this ministry."""
    return (
        account.is_active
        and account.role == AccountRole.MINISTRY_OPERATOR
        and account.ministry_key == ministry_key
    )
