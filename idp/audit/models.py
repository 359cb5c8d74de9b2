"""The audit event table. Rows are never updated or deleted (a database trigger enforces it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class AuditEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_enterprise_occurred", "enterprise_id", "occurred_at"),
        Index("ix_audit_events_subject_occurred", "subject_account_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    subject_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
