"""A new email address for an enterprise account: asked by an ESM, confirmed by its owner.

The ESM (for a user of the enterprise, or for their own file) must have entered an emailed
code within the step-up window; the link then goes to the new address, and the account keeps
its old one until the link is opened; the old address is told when the change is made. Both
steps are audited. The emails are in French, then English, as every enterprise email.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import render_template

from idp.accounts.email_changes import apply_email_change, open_email_change
from idp.accounts.models import Account, EmailChange
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.db_types import DbSession
from idp.errors import DeliveryError
from idp.runtime import Runtime

logger = logging.getLogger(__name__)

CONFIRM_PATH = "/courriel/confirmer/"
_SUBJECTS = {
    "email_change": "Confirmez votre nouvelle adresse courriel / Confirm your new email address",
    "email_changed": "Adresse courriel de votre compte changée / Email address of your account "
    "changed",
}


def request_email_change(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    target: Account,
    new_email: str,
    *,
    base_url: str,
    client: ClientInfo | None = None,
) -> EmailChange:
    """Send the link to ``new_email`` (normalised, different from the current address; the
    caller checked the actor's right and step-up). :class:`DeliveryError` if it cannot be
    sent: the caller rolls back, and no change is left waiting."""
    opened = open_email_change(session, runtime, target, new_email, requested_by=actor)
    change = opened.change
    runtime.sender.send(
        _message(
            "email_change",
            to=new_email,
            name=target.display_name,
            user_code=target.user_code,
            requested_by=actor.display_name if actor.id != target.id else None,
            link=f"{base_url}{CONFIRM_PATH}{opened.link_token}",
            expires_fr=_local(runtime, change.expires_at, "fr"),
            expires_en=_local(runtime, change.expires_at, "en"),
        )
    )
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_EMAIL_REQUEST,
        client=client,
        actor_id=actor.id,
        subject_id=target.id,
        enterprise_id=target.enterprise_id,
    )
    return change


def confirm_email_change(
    session: DbSession, runtime: Runtime, change: EmailChange, *, client: ClientInfo
) -> Account:
    """The owner of the new address opened the link: it becomes the account's."""
    account, old_email = apply_email_change(session, runtime, change)
    now = runtime.clock()
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_EMAIL_CHANGE,
        client=client,
        actor_id=change.requested_by_id,
        subject_id=account.id,
        enterprise_id=account.enterprise_id,
    )
    # The old address hears of it: if someone else made the change, its owner knows at once.
    notice = _message(
        "email_changed",
        to=old_email,
        name=account.display_name,
        user_code=account.user_code,
        new_email=change.email,
        when_fr=_local(runtime, now, "fr"),
        when_en=_local(runtime, now, "en"),
    )
    try:
        runtime.sender.send(notice)
    except DeliveryError:
        # The change stands (its owner proved the new address); the notice is logged lost.
        logger.warning("email change notice not sent", extra={"account_id": account.id})
    return account


def _message(kind: str, *, to: str, **context: Any) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = _SUBJECTS[kind]
    message.set_content(render_template(f"mail/{kind}.txt", **context))
    return message


def _local(runtime: Runtime, when: datetime, locale: str) -> str:
    pattern = "d MMMM y, HH:mm" if locale == "fr" else "MMMM d, y, h:mm a"
    return format_datetime(when, pattern, tzinfo=ZoneInfo(runtime.settings.timezone), locale=locale)
