"""Changing the email address of an account: the second factor, so never at once.

The new address must prove it belongs to the person: a single-use link is sent there (stored
as its SHA-256, short-lived), and the account keeps its old address, where its codes still go,
until the link is opened. The old address is told when the change is made, so that its owner
learns at once of a change they did not make. Who may ask, and with which step-up, is the
portals' rule (:mod:`idp.citizens.account`, :mod:`idp.enterprises.user_files`); this module is
what they share.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from idp.accounts.models import Account, EmailChange
from idp.db_types import DbSession
from idp.errors import NotFoundError, ValidationError
from idp.runtime import Runtime


@dataclass(frozen=True, slots=True)
class OpenedEmailChange:
    """A change waiting for its link, and the link's token (emailed once, never stored)."""

    change: EmailChange
    link_token: str


def link_hash(link_token: str) -> str:
    return hashlib.sha256(link_token.encode()).hexdigest()


def open_email_change(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    new_email: str,
    *,
    requested_by: Account,
) -> OpenedEmailChange:
    """Replace any change still waiting for the account by one to ``new_email`` (normalised
    by the caller); :class:`ValidationError` if it is already the account's address."""
    if new_email.lower() == account.email.lower():
        raise ValidationError(_l("This is already the address of the account."), field="email")
    session.execute(
        delete(EmailChange).where(
            EmailChange.account_id == account.id, EmailChange.confirmed_at.is_(None)
        )
    )
    now = runtime.clock()
    link_token = secrets.token_urlsafe(32)
    change = EmailChange(
        account_id=account.id,
        email=new_email,
        confirmation_hash=link_hash(link_token),
        requested_by_id=requested_by.id,
        created_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.email_link_seconds),
    )
    session.add(change)
    session.flush()
    return OpenedEmailChange(change, link_token)


def pending_email_change(
    session: DbSession, runtime: Runtime, account: Account
) -> EmailChange | None:
    """The change of the account still waiting for its link, if any."""
    return session.scalars(
        select(EmailChange).where(
            EmailChange.account_id == account.id,
            EmailChange.confirmed_at.is_(None),
            EmailChange.expires_at > runtime.clock(),
        )
    ).first()


def find_email_change(session: DbSession, runtime: Runtime, link_token: str) -> EmailChange:
    """The change an emailed link stands for, if it may still be used."""
    change = session.scalars(
        select(EmailChange).where(EmailChange.confirmation_hash == link_hash(link_token))
    ).one_or_none()
    if change is None or change.confirmed_at is not None or runtime.clock() >= change.expires_at:
        raise NotFoundError(
            _l("This link is no longer valid: it was already used, replaced or it expired.")
        )
    return change


def apply_email_change(
    session: DbSession, runtime: Runtime, change: EmailChange
) -> tuple[Account, str]:
    """Make the new address the account's, once (compare-and-set on the link); returns the
    account and its old address, to be told."""
    account = session.get(Account, change.account_id)
    if account is None or not account.is_active:
        raise NotFoundError(_l("This account can no longer be used."))
    now = runtime.clock()
    # Two clicks on one link at once: the second finds it used.
    used = session.execute(
        EmailChange.__table__.update()
        .where(EmailChange.id == change.id, EmailChange.confirmed_at.is_(None))
        .values(confirmed_at=now)
    )
    if getattr(used, "rowcount", 0) != 1:
        raise NotFoundError(
            _l("This link is no longer valid: it was already used, replaced or it expired.")
        )
    change.confirmed_at = now
    old_email = account.email
    account.email = change.email
    return account, old_email


def remove_expired_email_changes(session: DbSession, runtime: Runtime) -> int:
    """Forget links that were never opened (the lifecycle job)."""
    result = session.execute(
        delete(EmailChange).where(
            EmailChange.confirmed_at.is_(None), EmailChange.expires_at <= runtime.clock()
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
