"""Reading the audit trail: an enterprise's history a page at a time, a ministry's events
after a cursor."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise

HISTORY_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event with the names of who acted and whom it concerns (None when nobody)."""

    event: AuditEvent
    actor_name: str | None
    actor_ministry_key: str | None
    subject_name: str | None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    entries: list[HistoryEntry]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def enterprise_history(
    session: DbSession, enterprise_id: int, *, page: int = 1, per_page: int = HISTORY_PAGE_SIZE
) -> HistoryPage:
    """The events recorded for the enterprise, newest first; ``page`` counts from 1."""
    page = max(1, page)
    total = int(
        session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.enterprise_id == enterprise_id)
        )
        or 0
    )
    actor = aliased(Account)
    subject = aliased(Account)
    rows = session.execute(
        select(AuditEvent, actor.display_name, actor.ministry_key, subject.display_name)
        .outerjoin(actor, actor.id == AuditEvent.actor_account_id)
        .outerjoin(subject, subject.id == AuditEvent.subject_account_id)
        .where(AuditEvent.enterprise_id == enterprise_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    entries = [HistoryEntry(*row) for row in rows]
    return HistoryPage(entries=entries, page=page, per_page=per_page, total=total)


def ministry_events(
    session: DbSession,
    ministry_key: str,
    relying_parties: Collection[str],
    *,
    since: datetime | None,
    after_id: int | None,
    limit: int,
) -> list[tuple[AuditEvent, Enterprise | None]]:
    """The events about a ministry, oldest first, each with its enterprise (None when none):
    those recorded with the ministry's key (registrations, consents, the Management API's
    writes) and those of its relying parties (sign-ins, logouts, access ended).

    ``since`` keeps the events that occurred then or later; ``after_id`` continues after the
    last event of the previous page (a cursor that stays right while events are added).
    """
    about = AuditEvent.details["ministry"].as_string() == ministry_key
    if relying_parties:
        about = or_(
            about, AuditEvent.details["relying_party"].as_string().in_(sorted(relying_parties))
        )
    query = (
        select(AuditEvent, Enterprise)
        .outerjoin(Enterprise, Enterprise.id == AuditEvent.enterprise_id)
        .where(about)
        .order_by(AuditEvent.id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if after_id is not None:
        query = query.where(AuditEvent.id > after_id)
    return [(event, enterprise) for event, enterprise in session.execute(query).all()]
