"""Proxies, the ministries and rights they grant, and their assignment to accounts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.db_types import UTCDateTime
from idp.enterprises.models import Enterprise
from idp.extensions import db


class ProxyKind(StrEnum):
    INTERNAL = "internal"  # to the enterprise's own staff
    EXTERNAL = "external"  # to another enterprise (consultant, verifier), whose ESM assigns it


class ProxyStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


def proxy_in_force(status: str, starts_on: date, ends_on: date, today: date) -> bool:
    """Neither cancelled nor expired: the end date is the last day it grants anything."""
    return status == ProxyStatus.ACTIVE and starts_on <= today <= ends_on


class Proxy(db.Model):  # type: ignore[name-defined]
    __tablename__ = "proxies"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint(
            "(kind = 'external') = (agent_enterprise_id IS NOT NULL)", name="agent_iff_external"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The mandator: the enterprise that grants the rights.
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    agent_enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default=ProxyStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by the lifecycle run the first time it sees the proxy past its end date.
    expiry_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    enterprise: Mapped[Enterprise] = relationship(foreign_keys=[enterprise_id], lazy="joined")
    agent_enterprise: Mapped[Enterprise | None] = relationship(
        foreign_keys=[agent_enterprise_id], lazy="joined"
    )
    ministries: Mapped[list[ProxyMinistry]] = relationship(
        back_populates="proxy", cascade="all, delete-orphan", lazy="selectin"
    )

    def is_in_force(self, today: date) -> bool:
        """Neither cancelled nor expired: the end date is the last day it grants anything."""
        return proxy_in_force(self.status, self.starts_on, self.ends_on, today)


class ProxyMinistry(db.Model):  # type: ignore[name-defined]
    """What a proxy grants at one ministry: everything (« Sans restriction ») or chosen rights."""

    __tablename__ = "proxy_ministries"
    __table_args__ = (UniqueConstraint("proxy_id", "ministry_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proxy_id: Mapped[int] = mapped_column(ForeignKey("proxies.id", ondelete="CASCADE"))
    ministry_key: Mapped[str] = mapped_column(String(32))
    # Every right of the ministry, present and future.
    unrestricted: Mapped[bool] = mapped_column(Boolean, default=False)

    proxy: Mapped[Proxy] = relationship(back_populates="ministries")
    rights: Mapped[list[ProxyRight]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def right_ids(self) -> frozenset[str]:
        return frozenset(r.right_id for r in self.rights)


class ProxyRight(db.Model):  # type: ignore[name-defined]
    __tablename__ = "proxy_rights"
    __table_args__ = (UniqueConstraint("proxy_ministry_id", "right_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proxy_ministry_id: Mapped[int] = mapped_column(
        ForeignKey("proxy_ministries.id", ondelete="CASCADE")
    )
    right_id: Mapped[str] = mapped_column(String(96))


class ProxyAssignment(db.Model):  # type: ignore[name-defined]
    """A proxy held by an account. One per account and mandator: the database enforces it."""

    __tablename__ = "proxy_assignments"
    __table_args__ = (UniqueConstraint("account_id", "mandator_enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proxy_id: Mapped[int] = mapped_column(ForeignKey("proxies.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    # Copied from the proxy so the one-proxy-per-mandator rule is a plain unique constraint.
    mandator_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))

    proxy: Mapped[Proxy] = relationship(lazy="joined")
