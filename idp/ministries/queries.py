"""Read-only queries behind the registration pages (the enterprise's and the ministry's)."""

from __future__ import annotations

from sqlalchemy import select

from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.ministries.models import MinistryRegistration, RegistrationStatus

RECENT_DECISIONS = 20


def registrations_by_ministry(
    session: DbSession, enterprise_id: int
) -> dict[str, MinistryRegistration]:
    """The enterprise's registrations, keyed by ministry key (at most one per ministry)."""
    registrations = session.scalars(
        select(MinistryRegistration).where(MinistryRegistration.enterprise_id == enterprise_id)
    )
    return {registration.ministry_key: registration for registration in registrations}


def registration_of(
    session: DbSession, enterprise_id: int, ministry_key: str
) -> MinistryRegistration | None:
    """The enterprise's registration for this ministry, if it ever asked for one."""
    return session.scalars(
        select(MinistryRegistration).where(
            MinistryRegistration.enterprise_id == enterprise_id,
            MinistryRegistration.ministry_key == ministry_key,
        )
    ).one_or_none()


def registration_for_ministry(
    session: DbSession, ministry_key: str, registration_id: int
) -> MinistryRegistration | None:
    """A registration addressed to this ministry; another ministry's is treated as not found."""
    return session.scalars(
        select(MinistryRegistration).where(
            MinistryRegistration.id == registration_id,
            MinistryRegistration.ministry_key == ministry_key,
        )
    ).one_or_none()


def pending_for_ministry(session: DbSession, ministry_key: str) -> list[MinistryRegistration]:
    """Registrations waiting for this ministry's decision, oldest first."""
    return with_status_for_ministry(session, ministry_key, RegistrationStatus.PENDING)


def with_status_for_ministry(
    session: DbSession, ministry_key: str, status: RegistrationStatus
) -> list[MinistryRegistration]:
    """This ministry's registrations in one status, in the order they were submitted."""
    return list(
        session.scalars(
            select(MinistryRegistration)
            .where(
                MinistryRegistration.ministry_key == ministry_key,
                MinistryRegistration.status == status,
            )
            .order_by(MinistryRegistration.submitted_at, MinistryRegistration.id)
        )
    )


def registration_at_ministry_by_neq(
    session: DbSession, ministry_key: str, neq: str
) -> MinistryRegistration | None:
    """The registration at this ministry of the enterprise with this NEQ, if it ever asked."""
    return session.scalars(
        select(MinistryRegistration)
        .join(MinistryRegistration.enterprise)
        .where(MinistryRegistration.ministry_key == ministry_key, Enterprise.neq == neq)
    ).one_or_none()


def active_for_ministry(session: DbSession, ministry_key: str) -> list[MinistryRegistration]:
    """The enterprises this ministry has activated, by name: those its operator may withdraw."""
    return list(
        session.scalars(
            select(MinistryRegistration)
            .join(MinistryRegistration.enterprise)
            .where(
                MinistryRegistration.ministry_key == ministry_key,
                MinistryRegistration.status == RegistrationStatus.ACTIVE,
            )
            .order_by(Enterprise.legal_name, MinistryRegistration.id)
        )
    )


def recent_decisions(
    session: DbSession, ministry_key: str, limit: int = RECENT_DECISIONS
) -> list[MinistryRegistration]:
    """This ministry's latest decisions, newest first."""
    return list(
        session.scalars(
            select(MinistryRegistration)
            .where(
                MinistryRegistration.ministry_key == ministry_key,
                MinistryRegistration.status != RegistrationStatus.PENDING,
                MinistryRegistration.decided_at.is_not(None),
            )
            .order_by(MinistryRegistration.decided_at.desc(), MinistryRegistration.id.desc())
            .limit(limit)
        )
    )
