"""What the site's parts share: CSRF protection and the services built by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_wtf import CSRFProtect
from joserfc.jwk import RSAKey

from demo_rp.iqea.reports import ReportStore
from demo_rp.iqea.sessions import SessionStore
from demo_rp.iqea.storage import Database

csrf = CSRFProtect()

EXTENSION_KEY = "demo_rp.iqea"


@dataclass
class Services:
    database: Database
    sessions: SessionStore
    reports: ReportStore
    client_key: RSAKey
    jwks: dict[str, Any]

    def used_logout_token(self, jti: str, expires_at: int) -> bool:
        """Record a logout token's ``jti``; False when it was used before (a replay)."""
        now = int(self.sessions.clock().timestamp())
        with self.database.connect() as db:
            db.execute("DELETE FROM used_logout_tokens WHERE expires_at < ?", (now,))
            cursor = db.execute(
                "INSERT OR IGNORE INTO used_logout_tokens (jti, expires_at) VALUES (?, ?)",
                (jti, max(expires_at, now + 600)),
            )
        return cursor.rowcount == 1


def services() -> Services:
    found: Services = current_app.extensions[EXTENSION_KEY]
    return found
