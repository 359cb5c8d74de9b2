"""User files: the accounts an ESM creates and manages for its enterprise.

Who may do what is in :mod:`idp.enterprises.policies`; every change is an audit event;
suspending or cancelling an account ends its sessions at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.accounts.services import (
    NewAccount,
    create_account,
    generate_temporary_password,
    normalize_email,
    unlock_account,
)
from idp.accounts.sessions import EndReason, end_account_sessions
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.db_types import DbSession
from idp.enterprises.email_change import request_email_change
from idp.enterprises.models import Enterprise
from idp.enterprises.policies import (
    can_designate_esm,
    can_edit_user_file,
    can_manage,
    can_reset_password_of,
    can_set_status,
    is_representative_of,
)
from idp.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from idp.events import CredentialsChanged, RightsChanged, publish
from idp.mail.messages import account_message, send_notice
from idp.mfa.step_up import require_recent_code
from idp.runtime import Runtime

# North American numbers as people write them: digits, spaces, dashes, dots, parentheses, +.
_TELEPHONE = re.compile(r"^\+?[0-9 ().-]{10,20}$")
_EXTENSION = re.compile(r"^[0-9]{1,4}$")


@dataclass(frozen=True)
class UserFileData:
    first_name: str
    last_name: str
    email: str
    telephone: str = ""
    extension: str = ""


@dataclass(frozen=True)
class CleanUserFile:
    first_name: str
    last_name: str
    email: str
    telephone: str | None
    extension: str | None

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def clean_user_file(data: UserFileData) -> CleanUserFile:
    """Check a user file; errors name the field so the form can show them in place."""
    first, last = data.first_name.strip(), data.last_name.strip()
    if not first:
        raise ValidationError(_l("Enter the first name."), field="first_name")
    if not last:
        raise ValidationError(_l("Enter the last name."), field="last_name")
    try:
        email = normalize_email(data.email)
    except ValidationError as exc:
        exc.details["field"] = "email"
        raise
    telephone = data.telephone.strip() or None
    if telephone and (
        not _TELEPHONE.fullmatch(telephone) or sum(c.isdigit() for c in telephone) < 10
    ):
        raise ValidationError(
            _l("Enter a telephone number of 10 digits, such as 418 555-0123."), field="telephone"
        )
    extension = data.extension.strip() or None
    if extension and not _EXTENSION.fullmatch(extension):
        raise ValidationError(_l("The extension has at most 4 digits."), field="extension")
    return CleanUserFile(first, last, email, telephone, extension)


def create_user_file(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    enterprise: Enterprise,
    data: UserFileData,
    role: AccountRole,
    *,
    verified_at: datetime | None = None,
    client: ClientInfo | None = None,
) -> NewAccount:
    """An ESM creates a user or an ESM; the authorized representative designates ESMs.

    Creating an ESM is sensitive: it needs the emailed code entered within 10 minutes.
    """
    if role not in {AccountRole.USER, AccountRole.ESM}:
        raise ValidationError(
            _l("Choose the role: user or electronic services manager."), field="role"
        )
    allowed = can_manage(actor, enterprise.id) or (
        role == AccountRole.ESM and is_representative_of(actor, enterprise.id)
    )
    if not allowed:
        raise ForbiddenError()
    clean = clean_user_file(data)
    if role == AccountRole.ESM:
        require_recent_code(runtime, verified_at)
    new = create_account(
        session,
        runtime,
        enterprise=enterprise,
        display_name=clean.display_name,
        email=clean.email,
        role=role,
        actor_id=actor.id,
        client=client,
    )
    _apply(new.account, clean)
    # The person learns of their account and its user code; the temporary password is only
    # on the acknowledgement the manager hands over.
    send_notice(
        runtime,
        account_message(
            session,
            runtime,
            new.account,
            "account_created",
            created_by=actor.display_name,
            # The representative only designates ESMs: the email names their own role.
            by_representative=not can_manage(actor, enterprise.id),
            enterprise=enterprise.legal_name,
        ),
    )
    return new


def _apply(account: Account, clean: CleanUserFile) -> None:
    account.first_name = clean.first_name
    account.last_name = clean.last_name
    account.display_name = clean.display_name
    account.email = clean.email
    account.telephone = clean.telephone
    account.telephone_extension = clean.extension


@dataclass(frozen=True)
class UserFileUpdate:
    """What an update changed at once, and the new address waiting for its link, if any."""

    changed: list[str]
    pending_email: str | None = None


def update_user_file(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    target: Account,
    data: UserFileData,
    *,
    verified_at: datetime | None = None,
    base_url: str = "",
    client: ClientInfo | None = None,
) -> UserFileUpdate:
    """Modify a user file. A new email address (the second factor) is not set at once: it
    needs the actor's recent emailed code (step-up, checked before anything changes), then
    its owner opens the link sent there (:mod:`idp.enterprises.email_change`)."""
    if not can_edit_user_file(actor, target):
        raise ForbiddenError()
    clean = clean_user_file(data)
    new_email = clean.email if clean.email.lower() != target.email.lower() else None
    if new_email is not None:
        require_recent_code(runtime, verified_at)
    changed = sorted(
        name
        for name, old, new in (
            ("first_name", target.first_name, clean.first_name),
            ("last_name", target.last_name, clean.last_name),
            ("telephone", target.telephone, clean.telephone),
            ("extension", target.telephone_extension, clean.extension),
        )
        if old != new
    )
    _apply(target, replace(clean, email=target.email))
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_UPDATE,
        client=client,
        actor_id=actor.id,
        subject_id=target.id,
        enterprise_id=target.enterprise_id,
        fields=changed,
    )
    if new_email is not None:
        request_email_change(
            session, runtime, actor, target, new_email, base_url=base_url, client=client
        )
    return UserFileUpdate(changed, new_email)


def set_status(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    target: Account,
    status: AccountStatus,
    *,
    client: ClientInfo | None = None,
) -> None:
    """Suspend, reactivate or cancel a user file. A cancelled file is never reactivated."""
    if not can_set_status(actor, target, status):
        raise ForbiddenError()
    if target.status == AccountStatus.CANCELLED:
        raise ConflictError(_l("A cancelled user file cannot be changed."))
    if target.status == status:
        raise ConflictError(_l("The user file already has this status."))
    target.status = status
    target.status_changed_at = runtime.clock()
    ended = 0
    if status != AccountStatus.ACTIVE:
        ended = end_account_sessions(session, runtime, target.id, EndReason.ACCOUNT_INACTIVE)
    action = {
        AccountStatus.ACTIVE: AuditAction.ACCOUNT_REACTIVATE,
        AccountStatus.SUSPENDED: AuditAction.ACCOUNT_SUSPEND,
        AccountStatus.CANCELLED: AuditAction.ACCOUNT_CANCEL,
    }[status]
    record(
        session,
        runtime.clock,
        action,
        client=client,
        actor_id=actor.id,
        subject_id=target.id,
        enterprise_id=target.enterprise_id,
        sessions_ended=ended,
    )
    if status == AccountStatus.CANCELLED:
        notice = account_message(
            session, runtime, target, "account_cancelled", times={"when": runtime.clock()}
        )
        send_notice(runtime, notice)


def reset_password(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    target: Account,
    *,
    client: ClientInfo | None = None,
) -> str:
    """A new temporary password, shown once; it must be changed at the next sign-in. Another
    ESM's only if the representative allows it (:func:`can_reset_password_of`)."""
    if not can_reset_password_of(actor, target):
        raise ForbiddenError()
    if target.status == AccountStatus.CANCELLED:
        raise ConflictError(_l("A cancelled user file cannot be changed."))
    temporary = generate_temporary_password()
    target.password_hash = runtime.hashing.hash(temporary)
    target.must_change_password = True
    end_account_sessions(session, runtime, target.id, EndReason.ACCOUNT_INACTIVE)
    publish(session, runtime, CredentialsChanged(target.id, "password", "update"))
    # The person who forgot their password is often the one the throttle made wait: the new
    # temporary password is the way back in, at once.
    unlock_account(
        session,
        runtime,
        target,
        actor_id=actor.id,
        client=client,
        reason="password_reset",
        only_if_locked=True,
    )
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_PASSWORD_RESET,
        client=client,
        actor_id=actor.id,
        subject_id=target.id,
        enterprise_id=target.enterprise_id,
    )
    return temporary


def designate_esm(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    target: Account,
    make_esm: bool,
    *,
    verified_at: datetime | None = None,
    client: ClientInfo | None = None,
) -> None:
    """The authorized representative designates an ESM, or withdraws the designation."""
    if not can_designate_esm(actor, target):
        raise ForbiddenError()
    if target.status == AccountStatus.CANCELLED:
        raise ConflictError(_l("A cancelled user file cannot be changed."))
    if (target.role == AccountRole.ESM) == make_esm:
        raise ConflictError(_l("The user file already has this role."))
    if make_esm:
        require_recent_code(runtime, verified_at)
    target.role = AccountRole.ESM if make_esm else AccountRole.USER
    if not make_esm:
        # A former ESM keeps only what proxies give them: sites lose what went beyond.
        session.flush()
        publish(session, runtime, RightsChanged((target.id,)))
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_ROLE_CHANGE,
        client=client,
        actor_id=actor.id,
        subject_id=target.id,
        enterprise_id=target.enterprise_id,
        role=str(target.role),
    )


def user_files(session: DbSession, enterprise_id: int) -> list[Account]:
    return list(
        session.scalars(
            select(Account)
            .where(Account.enterprise_id == enterprise_id)
            .order_by(Account.last_name, Account.first_name, Account.display_name)
        )
    )


def find_user_file(session: DbSession, actor: Account, account_id: int) -> Account:
    """An account of the actor's own enterprise; any other is « not found » (no probing)."""
    account = session.get(Account, account_id)
    if account is None or account.enterprise_id is None:
        raise NotFoundError()
    if account.enterprise_id != actor.enterprise_id:
        raise NotFoundError()
    return account
