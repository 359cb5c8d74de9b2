"""An enterprise's registration for a ministry's online services."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.db_types import UTCDateTime
from idp.enterprises.models import Enterprise
from idp.extensions import db


class RegistrationStatus(StrEnum):
    PENDING = "pending"  # « En traitement »
    ACTIVE = "active"  # « Actif »
    REFUSED = "refused"  # « Refusé »
    # Ended by the ministry's operator (« Retirée »): its rights there are gone at once.
    WITHDRAWN = "withdrawn"
    # Ended by the enterprise's ESM (« Annulée »).
    CANCELLED = "cancelled"


class MinistryRegistration(db.Model):  # type: ignore[name-defined]
    __tablename__ = "ministry_registrations"
    __table_args__ = (UniqueConstraint("enterprise_id", "ministry_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    ministry_key: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.PENDING)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.status == RegistrationStatus.ACTIVE
