"""What a site's parts share: CSRF protection and the services built by ``create_site``.

A site that keeps more (IQEA's reports, the pesticide applications) subclasses
:class:`Services` with a ``cached_property`` for its store, and names the subclass to
``create_site``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from flask import current_app
from flask_wtf import CSRFProtect

from demo_rp.common.keys import ClientKey
from demo_rp.common.security_events import SecurityEventStore
from demo_rp.common.sessions import SessionStore
from demo_rp.common.storage import Database

csrf = CSRFProtect()

SERVICES_KEY = "demo_rp.services"


@dataclass
class Services:
    database: Database
    sessions: SessionStore
    client_key: ClientKey
    jwks: dict[str, Any]

    @cached_property
    def security_events(self) -> SecurityEventStore:
        return SecurityEventStore(self.database)

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
    found: Services = current_app.extensions[SERVICES_KEY]
    return found


SiteServices = TypeVar("SiteServices", bound=Services)


def services_of(kind: type[SiteServices]) -> SiteServices:
    """The services as the site's own subclass (``kind``)."""
    found = services()
    if not isinstance(found, kind):
        raise TypeError(f"this application's services are not {kind.__qualname__}")
    return found
