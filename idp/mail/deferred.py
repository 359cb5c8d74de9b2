"""Emails sent once the response has gone: a page then takes the same time whatever it sent.

A recovery page answers the same words whether or not an account matched what was typed; if
it also sent the email before answering, the time of the SMTP exchange would tell the two
cases apart. :func:`send_after_response` builds nothing (the caller renders the message in the
request, in the person's language) and only hands it to the sender when the WSGI server closes
the response. Outside a request (a command, a test of a service) it sends at once.

What cannot be delivered then is logged: the person was already answered, and the page never
said whether an email existed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage

from flask import after_this_request, g, has_request_context
from werkzeug.wrappers import Response

from idp.errors import DeliveryError
from idp.mail.senders import MailSender

logger = logging.getLogger(__name__)

_PENDING = "idp_deferred_mail"


def send_after_response(sender: MailSender, message: EmailMessage) -> None:
    """Send ``message`` after the response of the current request (now, outside one)."""
    if not has_request_context():
        _deliver(sender, message)
        return
    pending: list[tuple[MailSender, EmailMessage]] | None = g.get(_PENDING)
    if pending is None:
        pending = []
        setattr(g, _PENDING, pending)
        after_this_request(_send_on_close(pending))
    pending.append((sender, message))


def deferred(sender: MailSender) -> Callable[[EmailMessage], None]:
    """The ``deliver`` a service takes: ``sender``'s messages, sent after the response."""
    return lambda message: send_after_response(sender, message)


def _send_on_close(
    pending: list[tuple[MailSender, EmailMessage]],
) -> Callable[[Response], Response]:
    def hook(response: Response) -> Response:
        def send_all() -> None:
            for sender, message in pending:
                _deliver(sender, message)
            pending.clear()

        response.call_on_close(send_all)
        return response

    return hook


def _deliver(sender: MailSender, message: EmailMessage) -> None:
    try:
        sender.send(message)
    except DeliveryError:
        logger.warning("deferred email not sent", extra={"subject": str(message["Subject"])})
