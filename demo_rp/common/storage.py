"""A site's SQLite database (in its instance directory).

Every site has the server-side sessions (keyed by the hash of the cookie, with the provider's
``sid`` so that a back-channel logout finds them) and the ``jti`` of the logout tokens already
used; its own tables come from its profile (``SiteProfile.schema``).
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
