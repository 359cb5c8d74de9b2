"""The enterprise table, and the applications by which enterprises register themselves."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


class LegalForm(StrEnum):
    """The legal forms of the Québec enterprise register (the labels are in
    :mod:`idp.enterprises.onboarding_forms`)."""

    BUSINESS_CORPORATION = "business_corporation"  # société par actions (compagnie)
    GENERAL_PARTNERSHIP = "general_partnership"  # société en nom collectif
    LIMITED_PARTNERSHIP = "limited_partnership"  # société en commandite
    SOLE_PROPRIETORSHIP = "sole_proprietorship"  # entreprise individuelle
    NON_PROFIT = "non_profit"  # personne morale sans but lucratif (OBNL)
    COOPERATIVE = "cooperative"  # coopérative
    OTHER_LEGAL_PERSON = "other_legal_person"  # autre personne morale (syndicat, fiducie…)


_STATUSES = ", ".join(f"'{status.value}'" for status in EnterpriseStatus)
_LEGAL_FORMS = ", ".join(f"'{form.value}'" for form in LegalForm)


class Enterprise(db.Model):  # type: ignore[name-defined]
    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint("length(neq) = 10", name="neq_ten_digits"),
        CheckConstraint(f"status IN ({_STATUSES})", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    neq: Mapped[str] = mapped_column(String(10), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    # None for enterprises registered before self-service registration (by command or seed).
    legal_form: Mapped[str | None] = mapped_column(String(32))
    # The French article of the name: « le », « la », « l' », « les », or "" for none (most
    # enterprise names: « d'Aciérie Saint-Laurent inc. »). See idp/names.py.
    name_article: Mapped[str] = mapped_column(String(4), default="", server_default="")
    status: Mapped[str] = mapped_column(String(24), default=EnterpriseStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The last decision of a provider operator, and why (shown on the console, sent by email).
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_reason: Mapped[str | None] = mapped_column(Text)
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


class ApplicationDecision(StrEnum):
    ACTIVATED = "activated"
    REFUSED = "refused"


class EnterpriseApplication(db.Model):  # type: ignore[name-defined]
    """One self-service registration: who asked for the enterprise, and what was decided.

    A refused enterprise may apply again: its row is reused, each application is kept.
    """

    __tablename__ = "enterprise_applications"
    __table_args__ = (
        CheckConstraint(f"legal_form IN ({_LEGAL_FORMS})", name="known_legal_form"),
        CheckConstraint(
            "decision IS NULL OR decision IN ('activated', 'refused')", name="known_decision"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    legal_form: Mapped[str] = mapped_column(String(32))
    representative_first_name: Mapped[str] = mapped_column(String(100))
    representative_last_name: Mapped[str] = mapped_column(String(100))
    representative_position: Mapped[str] = mapped_column(String(100))
    representative_email: Mapped[str] = mapped_column(String(254))
    representative_telephone: Mapped[str] = mapped_column(String(32))
    representative_extension: Mapped[str | None] = mapped_column(String(4))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The authorized representative's account, made at activation.
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    @property
    def representative_name(self) -> str:
        return f"{self.representative_first_name} {self.representative_last_name}"

    @property
    def is_pending(self) -> bool:
        return self.decided_at is None
