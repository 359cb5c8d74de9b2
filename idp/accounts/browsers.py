"""Browsers an account has signed in from: a sign-in from any other is told to the person.

Each browser gets a long-lived cookie holding a random identifier, the same for every account
signed in from it; the account remembers the hash of the identifiers it completed a sign-in
with. A completed sign-in from a browser the account does not know sends « Nouvelle connexion à
votre compte » (time, device, address, and links to « Mes sessions » and to the password change),
so a person whose password and mailbox were both taken learns of it from the one place an
attacker cannot quiet: the sign-in's own email.

Not told:
- an account's first sign-in ever (or its first since this was deployed): there is no earlier
  browser for it to differ from, and the person is the one who just signed in;
- a sign-in on a public computer is never remembered (its cookie is not set), so every sign-in
  there is told, except an account's very first.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from idp.accounts.models import Account, KnownBrowser, UserSession
from idp.accounts.open_sessions import describe_device
from idp.db_types import DbSession
from idp.mail.messages import account_message, send_notice
from idp.runtime import Runtime

COOKIE_NAME = "clicsequr_navigateur"
MAX_AGE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie (RFC 6265bis)
# Browsers remembered per account: past this, the one unseen for longest is forgotten (a
# person on one more device than this gets one email more, nothing worse).
MAX_REMEMBERED = 20
_IDENTIFIER = re.compile(r"[A-Za-z0-9_-]{43}")


def new_identifier() -> str:
    return secrets.token_urlsafe(32)


def valid_identifier(value: str | None) -> str | None:
    """The cookie's identifier if it has the shape this provider gives, else None (a new one
    is given: a forged or truncated value is as good as none)."""
    if value is not None and _IDENTIFIER.fullmatch(value):
        return value
    return None


def _digest(identifier: str) -> str:
    return hashlib.sha256(identifier.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Sighting:
    """What a completed sign-in taught about its browser."""

    # The account had signed in before, from other browsers only: tell the person.
    new_to_account: bool


def note_sign_in(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    identifier: str,
    *,
    remember: bool,
) -> Sighting:
    """Record that ``account`` completed a sign-in from the browser ``identifier``; remember
    the browser unless ``remember`` is false (a public computer)."""
    now = runtime.clock()
    digest = _digest(identifier)
    known = session.scalars(select(KnownBrowser).where(KnownBrowser.account_id == account.id)).all()
    for browser in known:
        if secrets.compare_digest(browser.browser_hash, digest):
            browser.last_seen_at = now
            return Sighting(new_to_account=False)
    if remember:
        _remember(session, account.id, digest, now)
        if len(known) >= MAX_REMEMBERED:
            _forget_oldest(session, account.id)
    return Sighting(new_to_account=bool(known))


def _remember(session: DbSession, account_id: int, digest: str, now: datetime) -> None:
    """Insert, unless a sign-in from the same browser at the same moment just did."""
    try:
        with session.begin_nested():
            session.add(
                KnownBrowser(
                    account_id=account_id, browser_hash=digest, first_seen_at=now, last_seen_at=now
                )
            )
    except IntegrityError:
        pass


def _forget_oldest(session: DbSession, account_id: int) -> None:
    count = session.scalar(
        select(func.count()).select_from(KnownBrowser).where(KnownBrowser.account_id == account_id)
    )
    excess = (count or 0) - MAX_REMEMBERED
    if excess <= 0:
        return
    oldest = session.scalars(
        select(KnownBrowser)
        .where(KnownBrowser.account_id == account_id)
        .order_by(KnownBrowser.last_seen_at, KnownBrowser.id)
        .limit(excess)
    ).all()
    for browser in oldest:
        session.delete(browser)


def tell_new_browser(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    user_session: UserSession,
    *,
    sessions_url: str,
    password_url: str,
) -> None:
    """« Nouvelle connexion à votre compte », after the response (a notice: the sign-in stands
    without it)."""
    device = describe_device(user_session.user_agent)
    places = runtime.places
    place = {
        language: places.place_of(user_session.client_ip, language) if places else None
        for language in ("fr", "en")
    }
    send_notice(
        runtime,
        account_message(
            session,
            runtime,
            account,
            "new_browser",
            times={"when": user_session.authenticated_at or runtime.clock()},
            browser=device.browser,
            system=device.system,
            model=device.model,
            client_ip=user_session.client_ip,
            place_fr=place["fr"],
            place_en=place["en"],
            public_computer=user_session.public_computer,
            sessions_url=sessions_url,
            password_url=password_url,
        ),
    )
