"""Server-side sessions in the site's SQLite database, behind the site's session cookie.

The cookie holds only a random value; the row is found by its SHA-256. Everything else (the
person's claims, the tokens, the sign-in state of authlib) stays in the database. A session that
a back-channel logout deleted during a request is never written back: rows are only updated,
and only created for a new cookie value.

A signed-in session the provider ends is remembered for an hour (``ended_sessions``: whose it
was, since when): a browser that comes back with its cookie gets a new anonymous session that
names it (:attr:`ServerSession.ended_as`), so that the pages can say why it is signed out, until
the person signs in again.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from demo_rp.common.site import Clock
from demo_rp.common.storage import Database

# An unchanged session's last activity is written at most this often.
TOUCH_INTERVAL_SECONDS = 60
# How long a session the provider ended is remembered, to tell its browser why.
ENDED_REMEMBERED_SECONDS = 3600
# Where a browser's new session keeps the signed-in session the provider ended.
ENDED_KEY = "ended_as"


@dataclass(frozen=True)
class EndedSession:
    """A signed-in session the provider ended: whose, and since when it was signed in."""

    sub: str
    signed_in_at: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """A dict tracking changes, with the cookie value it was loaded from (if any)."""

    def __init__(
        self, initial: dict[str, Any] | None = None, token: str | None = None, updated_at: int = 0
    ) -> None:
        def on_update(_self: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.updated_at = updated_at
        self.modified = False
        self.regenerate_requested = False
        self.ended = False

    @property
    def ended_as(self) -> EndedSession | None:
        """The signed-in session this browser had, when the provider ended it lately."""
        value = self.get(ENDED_KEY)
        if not isinstance(value, dict):
            return None
        return EndedSession(str(value["sub"]), int(value["signed_in_at"]))

    def regenerate(self) -> None:
        """Give the session a new cookie value (after sign-in, against session fixation)."""
        self.regenerate_requested = True
        self.modified = True

    def end(self) -> None:
        """Delete the row and forget the cookie."""
        self.clear()
        self.ended = True
        self.modified = True


class SessionStore:
    def __init__(self, database: Database, clock: Clock, idle: int, maximum: int) -> None:
        self.database = database
        self.clock = clock
        self.idle = idle
        self.maximum = maximum

    def _now(self) -> int:
        return int(self.clock().timestamp())

    def load(self, token: str) -> tuple[dict[str, Any], int] | None:
        """The data of a live session, or None (unknown, or expired and deleted now)."""
        now = self._now()
        with self.database.connect() as db:
            row = db.execute(
                "SELECT data, created_at, updated_at FROM sessions WHERE id = ?", (_hash(token),)
            ).fetchone()
            if row is None:
                return None
            if now - row["updated_at"] > self.idle or now - row["created_at"] > self.maximum:
                db.execute("DELETE FROM sessions WHERE id = ?", (_hash(token),))
                return None
        return json.loads(row["data"]), int(row["updated_at"])

    def insert(self, token: str, data: dict[str, Any]) -> None:
        now = self._now()
        sid, sub = _identity(data)
        with self.database.connect() as db:
            db.execute(
                "INSERT INTO sessions (id, data, sid, sub, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (_hash(token), json.dumps(data), sid, sub, now, now),
            )
            # Expired sessions go as new ones come.
            db.execute(
                "DELETE FROM sessions WHERE updated_at < ? OR created_at < ?",
                (now - self.idle, now - self.maximum),
            )

    def update(self, token: str, data: dict[str, Any]) -> bool:
        """Write an existing session; False when it no longer exists (ended meanwhile)."""
        sid, sub = _identity(data)
        with self.database.connect() as db:
            cursor = db.execute(
                "UPDATE sessions SET data = ?, sid = ?, sub = ?, updated_at = ? WHERE id = ?",
                (json.dumps(data), sid, sub, self._now(), _hash(token)),
            )
        return cursor.rowcount == 1

    def touch(self, token: str) -> bool:
        with self.database.connect() as db:
            cursor = db.execute(
                "UPDATE sessions SET updated_at = ? WHERE id = ?", (self._now(), _hash(token))
            )
        return cursor.rowcount == 1

    def delete(self, token: str) -> None:
        with self.database.connect() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (_hash(token),))

    def delete_by_sid(self, sid: str, sub: str | None = None) -> int:
        """End every session of the provider's session ``sid`` (and of ``sub``, if given)."""
        if sub is None:
            return self._end("SELECT id FROM sessions WHERE sid = ?", (sid,))
        return self._end("SELECT id FROM sessions WHERE sid = ? AND sub = ?", (sid, sub))

    def delete_by_sub(self, sub: str) -> int:
        """End every session of the person ``sub`` (the provider says their rights are gone)."""
        return self._end("SELECT id FROM sessions WHERE sub = ?", (sub,))

    def _end(self, which: str, parameters: tuple[str, ...]) -> int:
        """Delete the sessions whose ids ``which`` selects, remembering the signed-in ones."""
        now = self._now()
        with self.database.connect() as db:
            ids = [(row["id"],) for row in db.execute(which, parameters)]
            db.execute(
                "DELETE FROM ended_sessions WHERE ended_at < ?", (now - ENDED_REMEMBERED_SECONDS,)
            )
            db.executemany(
                "INSERT OR REPLACE INTO ended_sessions (id, sub, signed_in_at, ended_at) "
                "SELECT id, sub, created_at, ? FROM sessions WHERE id = ? AND sub IS NOT NULL",
                [(now, session_id) for (session_id,) in ids],
            )
            db.executemany("DELETE FROM sessions WHERE id = ?", ids)
        return len(ids)

    def ended(self, token: str) -> EndedSession | None:
        """The signed-in session of this cookie value, if the provider ended it lately."""
        row = self.database.fetch_one(
            "SELECT sub, signed_in_at FROM ended_sessions WHERE id = ? AND ended_at >= ?",
            (_hash(token), self._now() - ENDED_REMEMBERED_SECONDS),
        )
        return EndedSession(row["sub"], int(row["signed_in_at"])) if row else None

    def read_auth(self, token: str) -> dict[str, Any] | None:
        """The signed-in part of a session as stored now (another request may have renewed it)."""
        loaded = self.load(token)
        if loaded is None:
            return None
        auth = loaded[0].get("auth")
        return auth if isinstance(auth, dict) else None


def _identity(data: dict[str, Any]) -> tuple[str | None, str | None]:
    auth = data.get("auth")
    if not isinstance(auth, dict):
        return None, None
    return auth.get("sid"), auth.get("sub")


class ServerSessionInterface(SessionInterface):
    def __init__(self, store: SessionStore, cookie_name: str) -> None:
        self.store = store
        self.cookie_name = cookie_name

    def get_cookie_name(self, app: Flask) -> str:
        return self.cookie_name

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(self.cookie_name)
        if token:
            loaded = self.store.load(token)
            if loaded is not None:
                data, updated_at = loaded
                return ServerSession(data, token, updated_at)
            session = ServerSession()
            session.ended = True  # a stale cookie: clear it
            ended = self.store.ended(token)
            if ended is not None:
                # The provider ended it lately: a new anonymous session remembers whose it was,
                # so that the pages can say why, until the person signs in again.
                session[ENDED_KEY] = asdict(ended)
            return session
        return ServerSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            raise TypeError("not a server-side session")
        data = dict(session)
        old = session.token
        if old and (session.ended or session.regenerate_requested):
            self.store.delete(old)
            old = None
        if old is None:
            if not data:
                if session.ended or session.token:
                    self._delete_cookie(app, response)
                return
            token = secrets.token_urlsafe(32)
            self.store.insert(token, data)
            self._set_cookie(app, response, token)
            return
        if not data:
            self.store.delete(old)
            self._delete_cookie(app, response)
            return
        if session.modified:
            still_there = self.store.update(old, data)
        elif self.store.clock().timestamp() - session.updated_at >= TOUCH_INTERVAL_SECONDS:
            still_there = self.store.touch(old)
        else:
            return
        if not still_there:
            # Ended while this request ran (back-channel logout): stay ended.
            self._delete_cookie(app, response)

    def _set_cookie(self, app: Flask, response: Response, token: str) -> None:
        response.set_cookie(
            self.cookie_name,
            token,
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite="Lax",
            path="/",
        )
        response.vary.add("Cookie")

    def _delete_cookie(self, app: Flask, response: Response) -> None:
        response.delete_cookie(
            self.cookie_name,
            path="/",
            secure=self.get_cookie_secure(app),
            httponly=True,
            samesite="Lax",
        )
        response.vary.add("Cookie")
