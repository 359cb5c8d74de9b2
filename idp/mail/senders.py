"""Email senders. The product sends through SMTP; nothing else pretends to."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from idp.config import Settings
from idp.errors import DeliveryError


class MailSender(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message to the mail system or raise :class:`DeliveryError`."""


class SmtpSender:
    """Sends through an SMTP server, with STARTTLS or implicit TLS and authentication."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # Loading the CA bundle costs tens of milliseconds of CPU: once per process, and only
        # when the connection is encrypted (every sign-in sends an email).
        uses_tls = settings.smtp_ssl or settings.smtp_starttls
        self._tls = ssl.create_default_context() if uses_tls else None

    def send(self, message: EmailMessage) -> None:
        settings = self._settings
        if not settings.smtp_host:
            raise DeliveryError("no SMTP server is configured (IDP_SMTP_HOST)")
        if "From" not in message:
            message["From"] = settings.mail_from
        context = self._tls
        try:
            smtp: smtplib.SMTP
            if settings.smtp_ssl:
                smtp = smtplib.SMTP_SSL(
                    settings.smtp_host,
                    settings.smtp_port,
                    timeout=settings.smtp_timeout_seconds,
                    context=context,
                )
            else:
                smtp = smtplib.SMTP(
                    settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
                )
            with smtp:
                if settings.smtp_starttls and not settings.smtp_ssl:
                    smtp.starttls(context=context)
                if settings.smtp_username:
                    secret = settings.smtp_password
                    smtp.login(settings.smtp_username, secret.get_secret_value() if secret else "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            # The exception text never contains the message body, so the code is not logged.
            raise DeliveryError(f"SMTP delivery failed: {exc.__class__.__name__}") from exc
