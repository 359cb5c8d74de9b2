"""The pairwise subject of an account at a ministry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class MinistryIdentity(db.Model):  # type: ignore[name-defined]
    """The identifier a ministry knows a person by: random, stable, different per ministry.

    Random and stored (not derived from a key): rotating any secret never changes what a
    ministry knows a person as, and two ministries cannot correlate their users by it.
    """

    __tablename__ = "ministry_identities"
    __table_args__ = (UniqueConstraint("account_id", "ministry_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    ministry_key: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
