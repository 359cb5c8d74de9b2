"""One-time codes, stored only as keyed hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class OneTimeCode(db.Model):  # type: ignore[name-defined]
    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_account_created", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    user_session_id: Mapped[int] = mapped_column(ForeignKey("user_sessions.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def is_usable(self, now: datetime) -> bool:
        return self.consumed_at is None and self.voided_at is None and now < self.expires_at
