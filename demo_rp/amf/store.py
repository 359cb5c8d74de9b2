"""The site's SQLite database (``amf.sqlite3`` in the instance folder).

- ``sessions``: server-side sessions, by the SHA-256 of the cookie's random token; the NameID
  of the person signed in is a column so that a LogoutRequest from the provider can end them.
- ``consumed_responses``: IDs of the SAML Responses already used (a Response is used once).
- ``transactions``: what people did in the functional blocks (payments, disclosures, requests).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    name_id TEXT,
    created_at REAL NOT NULL,
    last_seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_name_id ON sessions (name_id);
CREATE TABLE IF NOT EXISTS consumed_responses (
    response_id TEXT PRIMARY KEY,
    consumed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT UNIQUE,
    kind TEXT NOT NULL,
    block TEXT NOT NULL,
    enterprise_neq TEXT NOT NULL,
    person_name TEXT NOT NULL,
    name_id TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_enterprise ON transactions (enterprise_neq, id);
"""

REFERENCE_PREFIXES = {"payment": "PAI", "disclosure": "DIV", "request": "DEM"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Transaction:
    id: int
    reference: str
    kind: str
    block: str
    enterprise_neq: str
    person_name: str
    details: dict[str, Any]
    created_at: datetime


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as connection:
            connection.row_factory = sqlite3.Row
            with connection:  # one transaction: committed, or rolled back on error
                yield connection

    # -- sessions -------------------------------------------------------------------------------

    def load_session(
        self, token: str, now: float, idle_seconds: int, absolute_seconds: int
    ) -> dict[str, Any] | None:
        with self.connect() as db:
            row = db.execute(
                "SELECT data, created_at, last_seen_at FROM sessions WHERE token_hash = ?",
                (token_hash(token),),
            ).fetchone()
            if row is None:
                return None
            if (
                now - row["last_seen_at"] > idle_seconds
                or now - row["created_at"] > absolute_seconds
            ):
                db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))
                return None
            data: dict[str, Any] = json.loads(row["data"])
            return data

    def create_session(self, token: str, data: dict[str, Any], now: float) -> None:
        with self.connect() as db:
            db.execute(
                "INSERT INTO sessions (token_hash, data, name_id, created_at, last_seen_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (token_hash(token), json.dumps(data), data.get("name_id"), now, now),
            )

    def update_session(self, token: str, data: dict[str, Any], now: float) -> bool:
        """Save an existing session; False when it was ended meanwhile (never brought back)."""
        with self.connect() as db:
            cursor = db.execute(
                "UPDATE sessions SET data = ?, name_id = ?, last_seen_at = ? WHERE token_hash = ?",
                (json.dumps(data), data.get("name_id"), now, token_hash(token)),
            )
            return cursor.rowcount == 1

    def delete_session(self, token: str) -> None:
        with self.connect() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))

    def end_sessions_of(self, name_id: str) -> int:
        """End every session of the person with this NameID; how many there were."""
        with self.connect() as db:
            return db.execute("DELETE FROM sessions WHERE name_id = ?", (name_id,)).rowcount

    def session_count(self, name_id: str) -> int:
        with self.connect() as db:
            row = db.execute(
                "SELECT COUNT(*) AS n FROM sessions WHERE name_id = ?", (name_id,)
            ).fetchone()
            return int(row["n"])

    def purge(self, now: float, idle_seconds: int, absolute_seconds: int) -> None:
        with self.connect() as db:
            db.execute(
                "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
                (now - idle_seconds, now - absolute_seconds),
            )
            db.execute("DELETE FROM consumed_responses WHERE consumed_at < ?", (now - 86400,))

    # -- SAML responses -------------------------------------------------------------------------

    def consume_response(self, response_id: str, now: float) -> bool:
        """Record a Response as used; False when it had been used already."""
        with self.connect() as db:
            try:
                db.execute(
                    "INSERT INTO consumed_responses (response_id, consumed_at) VALUES (?, ?)",
                    (response_id, now),
                )
            except sqlite3.IntegrityError:
                return False
            return True

    # -- transactions ---------------------------------------------------------------------------

    def record(
        self,
        *,
        kind: str,
        block: str,
        enterprise_neq: str,
        person_name: str,
        name_id: str,
        details: dict[str, Any],
        now: datetime,
    ) -> Transaction:
        with self.connect() as db:
            cursor = db.execute(
                "INSERT INTO transactions (kind, block, enterprise_neq, person_name, name_id, "
                "details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    block,
                    enterprise_neq,
                    person_name,
                    name_id,
                    json.dumps(details),
                    now.isoformat(),
                ),
            )
            new_id = int(cursor.lastrowid or 0)
            reference = f"{REFERENCE_PREFIXES[kind]}-{now.year}-{new_id:06d}"
            db.execute("UPDATE transactions SET reference = ? WHERE id = ?", (reference, new_id))
        return Transaction(
            new_id, reference, kind, block, enterprise_neq, person_name, details, now
        )

    def transactions(
        self, enterprise_neq: str, kind: str | None = None, limit: int = 50
    ) -> list[Transaction]:
        query = "SELECT * FROM transactions WHERE enterprise_neq = ?"
        args: list[Any] = [enterprise_neq]
        if kind is not None:
            query += " AND kind = ?"
            args.append(kind)
        query += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with self.connect() as db:
            rows = db.execute(query, args).fetchall()
        return [
            Transaction(
                id=row["id"],
                reference=row["reference"],
                kind=row["kind"],
                block=row["block"],
                enterprise_neq=row["enterprise_neq"],
                person_name=row["person_name"],
                details=json.loads(row["details"]),
                created_at=datetime.fromisoformat(row["created_at"]).astimezone(UTC),
            )
            for row in rows
        ]
