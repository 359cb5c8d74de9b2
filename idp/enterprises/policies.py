"""Who may do what for an enterprise: small predicates, tested one by one."""

from __future__ import annotations

from idp.accounts.models import Account, AccountRole, AccountStatus


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


def is_representative_of(account: Account, enterprise_id: int | None) -> bool:
    """An active authorized representative of this enterprise (designates its ESMs)."""
    return (
        enterprise_id is not None
        and account.is_active
        and account.role == AccountRole.AUTHORIZED_REPRESENTATIVE
        and account.enterprise_id == enterprise_id
    )


def can_edit_user_file(actor: Account, target: Account) -> bool:
    """Modify, cancel, reset the password of: a user of the ESM's own enterprise, or oneself."""
    if not is_esm_of(actor, target.enterprise_id):
        return False
    return target.role == AccountRole.USER or target.id == actor.id


def can_cancel_user_file(actor: Account, target: Account) -> bool:
    """Cancel for good: a user of the ESM's own enterprise, never oneself (an ESM is cancelled
    by another ESM once the designation is withdrawn, or by the enterprise's cancellation)."""
    return can_edit_user_file(actor, target) and target.id != actor.id


def can_set_status(actor: Account, target: Account, status: AccountStatus) -> bool:
    """Suspend or reactivate (:func:`can_suspend`), or cancel (:func:`can_cancel_user_file`)."""
    if status == AccountStatus.CANCELLED:
        return can_cancel_user_file(actor, target)
    return can_suspend(actor, target)


def can_reset_password_of(actor: Account, target: Account) -> bool:
    """Give a new temporary password: to a user of the ESM's own enterprise; to another ESM
    only when the enterprise's authorized representative allows it (otherwise an ESM may only
    suspend or reactivate another ESM, as the conditions of use say); never to oneself (one's
    own password is changed, or recovered by email)."""
    if not is_esm_of(actor, target.enterprise_id) or target.id == actor.id:
        return False
    if target.role == AccountRole.USER:
        return True
    enterprise = target.enterprise
    return (
        target.role == AccountRole.ESM
        and enterprise is not None
        and enterprise.esm_password_resets_allowed
    )


def can_change_enterprise_settings(actor: Account, enterprise_id: int | None) -> bool:
    """The enterprise's own rules (who may reset whose password): its authorized
    representative only."""
    return is_representative_of(actor, enterprise_id)


def can_suspend(actor: Account, target: Account) -> bool:
    """Suspend or reactivate: users and other ESMs of the ESM's own enterprise, never oneself."""
    return (
        is_esm_of(actor, target.enterprise_id)
        and target.id != actor.id
        and target.role in {AccountRole.USER, AccountRole.ESM}
    )


def can_designate_esm(actor: Account, target: Account) -> bool:
    """The authorized representative makes a person of the enterprise an ESM, or undoes it."""
    return is_representative_of(actor, target.enterprise_id) and target.role in {
        AccountRole.USER,
        AccountRole.ESM,
    }


def is_operator_of(account: Account, ministry_key: str) -> bool:
    """An active ministry operator of this ministry."""
    return (
        account.is_active
        and account.role == AccountRole.MINISTRY_OPERATOR
        and account.ministry_key == ministry_key
    )
