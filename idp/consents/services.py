"""Granting, checking and withdrawing consent."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.consents.models import Consent
from idp.db_types import DbSession
from idp.errors import NotFoundError
from idp.runtime import Runtime


def find_consent(session: DbSession, account_id: int, ministry_key: str) -> Consent | None:
    return session.scalars(
        select(Consent).where(
            Consent.account_id == account_id, Consent.ministry_key == ministry_key
        )
    ).one_or_none()


def covers(consent: Consent | None, scopes: Iterable[str]) -> bool:
    """Whether the person already agreed to every scope asked for (else: ask again)."""
    return consent is not None and set(scopes) <= set(consent.scopes)


def grant_consent(
    session: DbSession,
    runtime: Runtime,
    account_id: int,
    ministry_key: str,
    scopes: Iterable[str],
    *,
    client: ClientInfo | None = None,
) -> Consent:
    """Record agreement to ``scopes`` (added to what was agreed before)."""
    now = runtime.clock()
    consent = find_consent(session, account_id, ministry_key)
    if consent is None:
        consent = Consent(
            account_id=account_id, ministry_key=ministry_key, scopes=[], granted_at=now
        )
        session.add(consent)
    consent.scopes = sorted(set(consent.scopes) | set(scopes))
    consent.last_used_at = now
    session.flush()
    record(
        session,
        runtime.clock,
        AuditAction.CONSENT_GRANT,
        client=client,
        actor_id=account_id,
        subject_id=account_id,
        ministry=ministry_key,
        scopes=consent.scopes,
    )
    return consent


def withdraw_consent(
    session: DbSession,
    runtime: Runtime,
    account_id: int,
    consent_id: int,
    *,
    client: ClientInfo | None = None,
) -> str:
    """Forget a consent of the account; the next visit to that ministry asks again."""
    consent = session.get(Consent, consent_id)
    if consent is None or consent.account_id != account_id:
        raise NotFoundError()
    ministry_key = consent.ministry_key
    session.delete(consent)
    record(
        session,
        runtime.clock,
        AuditAction.CONSENT_WITHDRAW,
        client=client,
        actor_id=account_id,
        subject_id=account_id,
        ministry=ministry_key,
    )
    return ministry_key


def consents_of(session: DbSession, account_id: int) -> list[Consent]:
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.account_id == account_id)
            .order_by(Consent.last_used_at.desc())
        )
    )
