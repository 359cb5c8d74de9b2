"""Emails to citizens, each written in the one language the person chose at enrolment."""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import render_template

from idp.errors import DeliveryError
from idp.runtime import Runtime

logger = logging.getLogger(__name__)

_SUBJECTS = {
    "code": ("Code de vérification clicSÉQUR – Citoyens", "clicSÉQUR – Citizens verification code"),
    "confirm": (
        "Activez votre compte clicSÉQUR – Citoyens",
        "Activate your clicSÉQUR – Citizens account",
    ),
    "active": (
        "Votre compte clicSÉQUR – Citoyens est actif",
        "Your clicSÉQUR – Citizens account is active",
    ),
    "email_change": ("Confirmez votre nouvelle adresse courriel", "Confirm your new email address"),
    "email_changed": (
        "Adresse courriel de votre compte changée",
        "Email address of your account changed",
    ),
    "inactivity": (
        "Votre compte clicSÉQUR – Citoyens sera annulé pour inactivité",
        "Your clicSÉQUR – Citizens account will be cancelled for inactivity",
    ),
    "closed": (
        "Votre compte clicSÉQUR – Citoyens est fermé",
        "Your clicSÉQUR – Citizens account is closed",
    ),
    "account_cancelled": (
        "Votre compte clicSÉQUR – Citoyens est annulé",
        "Your clicSÉQUR – Citizens account is cancelled",
    ),
    "password_reset": (
        "Réinitialisez votre mot de passe clicSÉQUR – Citoyens",
        "Reset your clicSÉQUR – Citizens password",
    ),
    "user_codes": (
        "Votre code d'utilisateur clicSÉQUR – Citoyens",
        "Your clicSÉQUR – Citizens user code",
    ),
    "password_changed": (
        "Mot de passe de votre compte clicSÉQUR – Citoyens changé",
        "Password of your clicSÉQUR – Citizens account changed",
    ),
    "new_browser": ("Nouvelle connexion à votre compte", "New sign-in to your account"),
    "passkey_added": ("Clé d'accès ajoutée à votre compte", "Passkey added to your account"),
    "passkey_removed": (
        "Dernière clé d'accès retirée de votre compte",
        "Last passkey removed from your account",
    ),
}


def local_time(runtime: Runtime, when: datetime, locale: str) -> str:
    return format_datetime(
        when, "d MMMM y, HH:mm", tzinfo=ZoneInfo(runtime.settings.timezone), locale=locale
    )


def citizen_message(kind: str, *, to: str, locale: str, **context: Any) -> EmailMessage:
    """The email ``kind`` (a template pair in ``mail/citizens/``) in ``locale``."""
    language = "en" if locale == "en" else "fr"
    french, english = _SUBJECTS[kind]
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = english if language == "en" else french
    message.set_content(render_template(f"mail/citizens/{kind}.{language}.txt", **context))
    # After set_content, which replaces the Content-* headers.
    message["Content-Language"] = language
    return message


def send_notice(runtime: Runtime, message: EmailMessage) -> None:
    """An email that only repeats what is done and shown (the change stands without it)."""
    try:
        runtime.sender.send(message)
    except DeliveryError:
        logger.warning("citizen notice not sent", extra={"subject": message["Subject"]})
