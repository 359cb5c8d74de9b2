"""The enterprise table."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class EnterpriseStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class Enterprise(db.Model):  # type: ignore[name-defined]
    __tablename__ = "enterprises"
    __table_args__ = (CheckConstraint("length(neq) = 10", name="neq_ten_digits"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    neq: Mapped[str] = mapped_column(String(10), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=EnterpriseStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def is_active(self) -> bool:
        return self.status == EnterpriseStatus.ACTIVE
