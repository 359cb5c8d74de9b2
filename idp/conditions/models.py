"""Who accepted which version of their portal's conditions of use, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class ConditionsAcceptance(db.Model):  # type: ignore[name-defined]
    """One person's « J'accepte » to one version; a new version needs a new row. Kept when
    the person later declines: what they once agreed to stays on record."""

    __tablename__ = "conditions_acceptances"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    # `enterprise` or `citizen` (idp.accounts.models.Portal): the texts differ by portal.
    portal: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The version's date, `2026-11-01` (idp.conditions.documents.ConditionsVersion.label).
    version: Mapped[str] = mapped_column(String(10), primary_key=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
