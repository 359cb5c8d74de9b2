"""Emails about an enterprise's registration and status, in French then English (as every
enterprise email: the person's language is not known before their first sign-in)."""

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
    "application_received": "Demande d'inscription reçue / Registration application received",
    "application_refused": "Demande d'inscription refusée / Registration application refused",
    "activated": "Votre entreprise est inscrite à clicSÉQUR / Your enterprise is registered "
    "with clicSÉQUR",
    "suspended": "Entreprise suspendue à clicSÉQUR / Enterprise suspended at clicSÉQUR",
    "reactivated": "Entreprise réactivée à clicSÉQUR / Enterprise reactivated at clicSÉQUR",
    "cancelled": "Inscription de l'entreprise annulée / Enterprise registration cancelled",
}


def enterprise_message(kind: str, *, to: str, **context: Any) -> EmailMessage:
    """The email ``kind`` (``templates/mail/enterprises/<kind>.txt``) to ``to``."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = _SUBJECTS[kind]
    message.set_content(render_template(f"mail/enterprises/{kind}.txt", **context))
    return message


def send_notice(runtime: Runtime, message: EmailMessage) -> bool:
    """An email that repeats what is done and shown on a page (the decision stands without
    it); False when it could not be handed over, for the page to say so."""
    try:
        runtime.sender.send(message)
    except DeliveryError:
        logger.warning("enterprise notice not sent", extra={"subject": message["Subject"]})
        return False
    return True


def local_time(runtime: Runtime, when: datetime, locale: str) -> str:
    pattern = "d MMMM y, HH:mm" if locale == "fr" else "MMMM d, y, h:mm a"
    return format_datetime(when, pattern, tzinfo=ZoneInfo(runtime.settings.timezone), locale=locale)
