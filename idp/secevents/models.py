"""The outbox of security events: written with the change, sent after it, retried."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class SecurityEventDelivery(db.Model):  # type: ignore[name-defined]
    """One signed event for one site, and how its delivery went."""

    __tablename__ = "security_event_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(120))
    jti: Mapped[str] = mapped_column(String(43), unique=True)
    # The SET as signed when the change was made (its iat is the change's time).
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the next try is due; None once delivered or given up.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
