"""The emails about an account, both portals: reset link, user codes, password changed, account
created, account cancelled, a sign-in from a new browser.

An enterprise account's emails are in French, then English (as every enterprise email: no
language is recorded for those accounts); a citizen's are in the one language chosen at
enrolment, signed by clicSÉQUR – Citoyens (:mod:`idp.citizens.mail`). Dates are shown in
Québec's time zone, written for each language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import render_template

from idp.accounts.models import Account
from idp.citizens.mail import citizen_message, local_time
from idp.citizens.models import CitizenProfile
from idp.db_types import DbSession
from idp.mail.deferred import send_after_response
from idp.runtime import Runtime

logger = logging.getLogger(__name__)

# Subjects of the enterprise emails (templates ``mail/<kind>.txt``, French then English).
_ENTERPRISE_SUBJECTS = {
    "password_reset": "Réinitialisez votre mot de passe clicSÉQUR / Reset your clicSÉQUR password",
    "user_codes": "Vos codes d'utilisateur clicSÉQUR / Your clicSÉQUR user codes",
    "password_changed": "Mot de passe de votre compte changé / Password of your account changed",
    "account_created": "Votre compte clicSÉQUR – Entreprises est créé / Your clicSÉQUR – "
    "Entreprises account was created",
    "account_cancelled": "Votre compte clicSÉQUR – Entreprises est annulé / Your clicSÉQUR – "
    "Entreprises account is cancelled",
    "new_browser": "Nouvelle connexion à votre compte / New sign-in to your account",
    "passkey_added": "Clé d'accès ajoutée à votre compte / Passkey added to your account",
    "passkey_removed": "Dernière clé d'accès retirée de votre compte / Last passkey removed "
    "from your account",
}


def locale_of(session: DbSession, account: Account) -> str:
    """The language of a citizen's emails (French when unknown)."""
    profile = session.get(CitizenProfile, account.id)
    return profile.locale if profile is not None else "fr"


def account_message(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    kind: str,
    *,
    to: str | None = None,
    times: Mapping[str, datetime] | None = None,
    **context: Any,
) -> EmailMessage:
    """The email ``kind`` about ``account``, to its address unless ``to``. Each of ``times``
    becomes a date written for the language of the email (``name`` for a citizen's,
    ``name_fr`` and ``name_en`` for an enterprise's)."""
    context = {"name": account.display_name, "user_code": account.user_code, **context}
    if account.is_citizen:
        locale = locale_of(session, account)
        for key, when in (times or {}).items():
            context[key] = local_time(runtime, when, locale)
        return citizen_message(kind, to=to or account.email, locale=locale, **context)
    for key, when in (times or {}).items():
        context[f"{key}_fr"] = _enterprise_time(runtime, when, "fr")
        context[f"{key}_en"] = _enterprise_time(runtime, when, "en")
    message = EmailMessage()
    message["To"] = to or account.email
    message["Subject"] = _ENTERPRISE_SUBJECTS[kind]
    message.set_content(render_template(f"mail/{kind}.txt", **context))
    return message


def send_notice(runtime: Runtime, message: EmailMessage) -> None:
    """An email that only tells of what is done (the change stands without it): after the
    response in a request, at once in a command; a failure is logged, never raised."""
    send_after_response(runtime.sender, message)


def user_codes_message(
    session: DbSession, runtime: Runtime, accounts: Sequence[Account], to: str
) -> EmailMessage:
    """The user codes of the accounts of one portal tied to the address ``to``."""
    first = accounts[0]
    codes = [
        {
            "user_code": account.user_code,
            "name": account.display_name,
            "enterprise": account.enterprise.legal_name if account.enterprise else None,
        }
        for account in accounts
    ]
    return account_message(session, runtime, first, "user_codes", to=to, codes=codes)


def _enterprise_time(runtime: Runtime, when: datetime, locale: str) -> str:
    pattern = "d MMMM y, HH:mm" if locale == "fr" else "MMMM d, y, h:mm a"
    return format_datetime(when, pattern, tzinfo=ZoneInfo(runtime.settings.timezone), locale=locale)
