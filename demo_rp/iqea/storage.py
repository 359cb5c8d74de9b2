"""The site's SQLite database (``iqea.sqlite3`` in the instance directory).

Three tables: the server-side sessions (keyed by the hash of the cookie, with the provider's
``sid`` so that a back-channel logout finds them), the annual reports (one per enterprise NEQ and
year) and the ``jti`` of the logout tokens already used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DATABASE_FILE = "iqea.sqlite3"
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

CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY,
    neq TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    year INTEGER NOT NULL,
    status TEXT NOT NULL,           -- brouillon, transmis, approuve
    establishment_name TEXT NOT NULL DEFAULT '',
    establishment_count TEXT NOT NULL DEFAULT '',
    co2_tonnes TEXT NOT NULL DEFAULT '',
    nox_tonnes TEXT NOT NULL DEFAULT '',
    particulate_tonnes TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by_name TEXT NOT NULL,
    updated_by_sub TEXT NOT NULL,
    submitted_at INTEGER,
    submitted_by_name TEXT,
    submitted_by_sub TEXT,
    approved_at INTEGER,
    approved_by_name TEXT,
    approved_by_sub TEXT,
    approved_by_agent_name TEXT,
    approved_by_agent_neq TEXT,
    UNIQUE (neq, year)
);

CREATE TABLE IF NOT EXISTS used_logout_tokens (
    jti TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
"""


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)

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
