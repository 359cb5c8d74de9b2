"""Mailbox messages, written in both languages when they are created."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class MessageKind(StrEnum):
    REGISTRATION_DECIDED = "registration_decided"
    REGISTRATION_WITHDRAWN = "registration_withdrawn"
    PROXY_RECEIVED = "proxy_received"
    PROXY_EXPIRING = "proxy_expiring"
    # A proxy given to the person by their ESM, or taken back.
    PROXY_ASSIGNED = "proxy_assigned"
    PROXY_WITHDRAWN = "proxy_withdrawn"
    # Its rights were edited: to the holders and the agent's ESMs.
    PROXY_CHANGED = "proxy_changed"
    ACCOUNT_INACTIVITY = "account_inactivity"
    # A provider operator suspended, reactivated or cancelled the enterprise.
    ENTERPRISE_SUSPENDED = "enterprise_suspended"
    ENTERPRISE_REACTIVATED = "enterprise_reactivated"
    ENTERPRISE_CANCELLED = "enterprise_cancelled"
    # Written by a ministry's back-end (Management API) to an enterprise registered there.
    MINISTRY_MESSAGE = "ministry_message"


class MailboxMessage(db.Model):  # type: ignore[name-defined]
    __tablename__ = "mailbox_messages"
    __table_args__ = (Index("ix_mailbox_messages_account_read", "account_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    subject_fr: Mapped[str] = mapped_column(String(200))
    subject_en: Mapped[str] = mapped_column(String(200))
    body_fr: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Reminders sent by the lifecycle run carry a key, so running it again sends nothing twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)

    def subject(self, language: str) -> str:
        return self.subject_en if language == "en" else self.subject_fr

    def body(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_fr
