"""The enterprise table."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, String, false
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db
from idp.names import OrganisationName


class EnterpriseStatus(StrEnum):
    """Where an enterprise stands at clicSÉQUR; only an active one's people hold any right."""

    # Registered by its representative, waiting for a provider operator's decision.
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    # The registration was refused by a provider operator (a new one may be submitted).
    REFUSED = "refused"
    # Its people may sign in, but hold no right at any ministry until it is reactivated.
    SUSPENDED = "suspended"
    # For good: no right anywhere, no reactivation.
    CANCELLED = "cancelled"


_STATUSES = ", ".join(f"'{status.value}'" for status in EnterpriseStatus)


class Enterprise(db.Model):  # type: ignore[name-defined]
    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint("length(neq) = 10", name="neq_ten_digits"),
        CheckConstraint(f"status IN ({_STATUSES})", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    neq: Mapped[str] = mapped_column(String(10), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    # The French article of the name: « le », « la », « l' », « les », or "" for none (most
    # enterprise names: « d'Aciérie Saint-Laurent inc. »). See idp/names.py.
    name_article: Mapped[str] = mapped_column(String(4), default="", server_default="")
    status: Mapped[str] = mapped_column(String(24), default=EnterpriseStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The authorized representative's choice: may an ESM give another ESM a new temporary
    # password? Otherwise an ESM may only suspend or reactivate another ESM (conditions of use).
    esm_password_resets_allowed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    @property
    def is_active(self) -> bool:
        return self.status == EnterpriseStatus.ACTIVE

    @property
    def sentence_name(self) -> OrganisationName:
        """The legal name in sentences; English takes no « the » before it."""
        return OrganisationName(
            fr=self.legal_name, article_fr=self.name_article, en=self.legal_name
        )
