"""« Mes sessions »: a person's open sign-ins, and signing out of one or of all the others.

A session is described by what the person can recognise: the browser and system its user agent
names (parsed by ua-parser, the regexes of the uap-core project), when it started and was last
used, the address it came from and, when a GeoIP database is configured, that address's
approximate place (idp/accounts/places.py). Ending one goes through :func:`end_session`, so the
sites that took part hear of it (back-channel logout, idp/events.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from ua_parser import parse

from idp.accounts.models import Account, SessionStage, UserSession
from idp.accounts.places import PlaceDatabase
from idp.accounts.sessions import EndReason, end_account_sessions, end_session
from idp.audit.services import ClientInfo, record_own
from idp.audit.tags import AuditAction
from idp.db_types import DbSession
from idp.errors import NotFoundError
from idp.runtime import Runtime


@dataclass(frozen=True)
class Device:
    browser: str | None
    system: str | None
    # A phone or tablet's model when the user agent names one ("iPhone").
    model: str | None


@dataclass(frozen=True)
class OpenSession:
    id: int
    current: bool
    device: Device
    started_at: datetime
    last_seen_at: datetime
    client_ip: str | None
    # « Montréal, Québec, Canada »: where the GeoIP database puts the address; None if unknown.
    place: str | None
    public_computer: bool


@lru_cache(maxsize=512)
def describe_device(user_agent: str | None) -> Device:
    """The browser, system and model a user agent names; None for what it does not say."""
    found = parse(user_agent or "")
    browser = system = model = None
    if found.user_agent is not None and found.user_agent.family != "Other":
        major = found.user_agent.major
        browser = f"{found.user_agent.family} {major}" if major else found.user_agent.family
    if found.os is not None and found.os.family != "Other":
        version = found.os.major
        system = f"{found.os.family} {version}" if version else found.os.family
    if found.device is not None and found.device.family not in {"Other", "Mac", "Spider"}:
        model = found.device.family
    return Device(browser=browser, system=system, model=model)


def open_sessions(
    session: DbSession,
    account: Account,
    current_id: int,
    *,
    places: PlaceDatabase | None,
    language: str,
) -> list[OpenSession]:
    """The account's live sign-ins, the current one first, then by last use; with ``places``,
    each address's approximate place named in ``language``."""
    rows = session.scalars(
        select(UserSession).where(
            UserSession.account_id == account.id,
            UserSession.ended_at.is_(None),
            UserSession.stage == SessionStage.AUTHENTICATED,
        )
    ).all()
    found = [
        OpenSession(
            id=row.id,
            current=row.id == current_id,
            device=describe_device(row.user_agent),
            started_at=row.authenticated_at or row.created_at,
            last_seen_at=row.last_seen_at,
            client_ip=row.client_ip,
            place=places.place_of(row.client_ip, language) if places else None,
            public_computer=row.public_computer,
        )
        for row in rows
    ]
    return sorted(found, key=lambda s: (not s.current, -s.last_seen_at.timestamp()))


def sign_out_session(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    session_id: int,
    *,
    current_id: int,
    client: ClientInfo,
) -> None:
    """End another of the person's sessions (the current one ends with « Déconnexion »)."""
    target = session.get(UserSession, session_id)
    if (
        target is None
        or target.account_id != account.id
        or target.id == current_id
        or target.ended_at is not None
    ):
        raise NotFoundError()
    end_session(session, runtime, target, EndReason.SIGNED_OUT_ELSEWHERE, client=client)


def sign_out_others(
    session: DbSession, runtime: Runtime, account: Account, *, current_id: int, client: ClientInfo
) -> int:
    """End every session of the person but this one, in one audit event; how many ended."""
    ended = end_account_sessions(
        session, runtime, account.id, EndReason.SIGNED_OUT_ELSEWHERE, keep_session_id=current_id
    )
    if ended:
        record_own(
            session,
            runtime.clock,
            AuditAction.SESSION_END,
            account,
            client=client,
            reason=EndReason.SIGNED_OUT_ELSEWHERE,
            sessions=ended,
        )
    return ended
