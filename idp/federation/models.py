"""The enterprise a person acts for at a ministry during a browser session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class EnterpriseChoice(db.Model):  # type: ignore[name-defined]
    """The enterprise a person acts for at a ministry, for the rest of a browser session."""

    __tablename__ = "enterprise_choices"
    __table_args__ = (UniqueConstraint("session_id", "ministry_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("user_sessions.id"))
    ministry_key: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime())
