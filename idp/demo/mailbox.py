"""The demo mail capture: a real SMTP server on loopback that keeps messages in a Maildir.

The provider sends its codes with its ordinary SMTP client; in the demo that client talks to
this server, and the demo outbox page reads the Maildir. Nothing here is used in production.
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class CapturedMail:
    to: str
    subject: str
    received_at: datetime
    text: str


class MaildirHandler:
    """aiosmtpd handler: store every message received."""

    def __init__(self, directory: Path) -> None:
        self.maildir = mailbox.Maildir(directory, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.maildir.add(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start_capture(directory: Path, host: str, port: int) -> Controller:
    controller = Controller(MaildirHandler(directory), hostname=host, port=port)
    controller.start()
    return controller


def read_captured(directory: Path, limit: int = 50) -> list[CapturedMail]:
    """The newest messages first."""
    if not directory.exists():
        return []
    box = mailbox.Maildir(directory, create=False)
    found = []
    for key in box.keys():  # noqa: SIM118 (Maildir is not a dict; keys() lists the files)
        raw = box.get_bytes(key)
        msg = message_from_bytes(raw, policy=policy.default)
        if not isinstance(msg, EmailMessage):
            continue
        body = msg.get_body(preferencelist=("plain",))
        mdate = box.get_message(key).get_date()
        found.append(
            CapturedMail(
                to=str(msg.get("To", "")),
                subject=str(msg.get("Subject", "")),
                received_at=datetime.fromtimestamp(mdate, UTC),
                text=body.get_content() if body is not None else "",
            )
        )
    found.sort(key=lambda m: m.received_at, reverse=True)
    return found[:limit]
