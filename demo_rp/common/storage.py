"""A site's SQLite database (in its instance directory).

Every site has the server-side sessions (keyed by the hash of the cookie, with the provider's
``sid`` so that a back-channel logout finds them), the ``jti`` of the logout tokens already
used, the sessions the provider ended lately, and the security events it pushed; its own tables
come from its profile (``SiteProfile.schema``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_SECONDS = 10

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,            -- SHA-256 of the cookie value, never the value itself
    data TEXT NOT NULL,             -- JSON: the person's claims, tokens, form state
    sid TEXT,                       -- the provider's session (back-channel logout)
    sub TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_sid ON sessions (sid);

CREATE TABLE IF NOT EXISTS used_logout_tokens (
    jti TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- Signed-in sessions the provider ended (back-channel logout, rights gone), remembered for an
-- hour so that the browser's next page can say why its session is over.
CREATE TABLE IF NOT EXISTS ended_sessions (
    id TEXT PRIMARY KEY,            -- the session's id (SHA-256 of its cookie value)
    sub TEXT NOT NULL,
    signed_in_at INTEGER NOT NULL,
    ended_at INTEGER NOT NULL
);

-- Security events the provider pushed (RFC 8935); the jti makes each one count once.
CREATE TABLE IF NOT EXISTS security_events (
    jti TEXT PRIMARY KEY,
    sub TEXT NOT NULL,              -- sub_id.sub: the person's sub at this site
    event_type TEXT NOT NULL,
    event TEXT NOT NULL,            -- JSON: the event's own claims
    issued_at INTEGER NOT NULL,     -- the SET's iat
    received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS security_events_sub ON security_events (sub, received_at);
"""


class Database:
    def __init__(self, path: Path, site_schema: str = "") -> None:
        self.path = path
        self.site_schema = site_schema

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA + self.site_schema)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction: committed at the end of the block, or rolled back."""
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
        connection.row_factory = sqlite3.Row
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def fetch_one(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Row | None:
        """The first row of a query (a transaction of its own)."""
        with self.connect() as connection:
            row: sqlite3.Row | None = connection.execute(sql, parameters).fetchone()
        return row

    def fetch_all(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Every row of a query (a transaction of its own)."""
        with self.connect() as connection:
            return connection.execute(sql, parameters).fetchall()
