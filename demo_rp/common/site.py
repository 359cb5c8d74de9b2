"""What tells one demo site from another, and its settings.

A site's settings are environment variables named with its prefix (``IQEA_IDP_ISSUER``,
``PESTICIDES_BASE_URL``), overridden by the dict given to its ``create_app``:

==========================================  =================================================
Setting (after the prefix)                  Meaning
==========================================  =================================================
IDP_ISSUER                                  the provider; discovery is read there
BASE_URL                                    where the site is served
INSTANCE_DIR                                client key, secret key, SQLite database
CLIENT_ID                                   the client id registered at the provider
SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS   a site session ends after this long without a
                                            request, or this long after sign-in
HTTP_TIMEOUT_SECONDS                        calls to the provider
REFRESH_MARGIN_SECONDS                      the access token is renewed this long before expiry
CLOCK_LEEWAY_SECONDS                        clock skew accepted on the provider's tokens
LOGOUT_TOKEN_MAX_AGE_SECONDS                an older logout token is refused
CLOCK                                       a callable giving the time (tests move it)
==========================================  =================================================

The first four come from the environment (the profile gives their defaults); the others only
from the dict.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from flask import Flask, current_app

if TYPE_CHECKING:
    from demo_rp.common.security_events import SecurityEvent

Clock = Callable[[], datetime]
KeyAlgorithm = Literal["RS256", "ES256"]

PROFILE_KEY = "demo_rp.profile"
# Dates people see, and days (who is of age), are Québec's.
QUEBEC = ZoneInfo("America/Montreal")

ENVIRONMENT_SETTINGS = ("IDP_ISSUER", "BASE_URL", "INSTANCE_DIR", "CLIENT_ID")
OTHER_DEFAULTS: dict[str, Any] = {
    "SESSION_IDLE_SECONDS": 30 * 60,
    "SESSION_MAX_SECONDS": 10 * 3600,
    "HTTP_TIMEOUT_SECONDS": 5,
    "REFRESH_MARGIN_SECONDS": 30,
    "CLOCK_LEEWAY_SECONDS": 60,
    # Back-Channel Logout 1.0, 2.6: "iat" must be recent.
    "LOGOUT_TOKEN_MAX_AGE_SECONDS": 300,
}


class ClaimsRefusedError(ValueError):
    """Valid tokens whose claims this site must not accept; the page says why.

    ``title`` and ``message`` are text keys of the site.
    """

    def __init__(self, reason: str, title: str, message: str) -> None:
        super().__init__(reason)
        self.title = title
        self.message = message


@dataclass(frozen=True)
class SiteProfile:
    """One demo site, as the shared parts see it."""

    # Settings are environment variables named PREFIX_IDP_ISSUER, PREFIX_BASE_URL, ...
    prefix: str
    # Defaults of IDP_ISSUER, BASE_URL, INSTANCE_DIR and CLIENT_ID.
    environment_defaults: Mapping[str, str]
    # The cookies: the session's random value, and the chosen language.
    session_cookie: str
    language_cookie: str
    # Every text of the site: key -> (French, English); see demo_rp.common.i18n.
    texts: Mapping[str, tuple[str, str]]
    # What the site asks the provider for.
    scopes: tuple[str, ...]
    # The signed-in person as the pages see it (g.person), from the session's ``auth``.
    person_from: Callable[[dict[str, Any]], Any]
    # The site's key for private_key_jwt, a PEM file in the instance directory.
    client_key_file: str
    client_key_alg: KeyAlgorithm
    # The SQLite database in the instance directory, and the site's own tables.
    database_file: str
    schema: str = ""
    # The algorithm the ID token must be signed with (id_token_signed_response_alg of the
    # registration); None accepts any the provider announces.
    id_token_alg: str | None = None
    # Looks at the claims of the ID token, then of UserInfo, at sign-in and at every renewal;
    # raises ClaimsRefusedError for claims the site must not accept.
    check_claims: Callable[[Mapping[str, Any]], None] | None = None
    # Claims that, after a renewal, only UserInfo decides: when it omits one, this value
    # replaces what the ID token said (IQEA: rights gone are gone).
    renewed_claim_defaults: Mapping[str, Any] = field(default_factory=dict)
    # Whether a security event the provider pushed ends the person's sessions here at once
    # (IQEA: their rights no longer allow the site); the event is recorded either way.
    security_event_ends_sessions: Callable[[SecurityEvent], bool] = lambda _event: False


def utc_now() -> datetime:
    return datetime.now(UTC)


def load_settings(profile: SiteProfile, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The environment (or the defaults), then ``overrides``; URLs without a trailing slash."""
    prefix = profile.prefix
    settings: dict[str, Any] = {
        f"{prefix}_{name}": os.environ.get(f"{prefix}_{name}", profile.environment_defaults[name])
        for name in ENVIRONMENT_SETTINGS
    }
    settings.update({f"{prefix}_{name}": value for name, value in OTHER_DEFAULTS.items()})
    settings[f"{prefix}_CLOCK"] = utc_now
    settings.update(overrides or {})
    for name in ("IDP_ISSUER", "BASE_URL"):
        settings[f"{prefix}_{name}"] = str(settings[f"{prefix}_{name}"]).rstrip("/")
    settings[f"{prefix}_INSTANCE_DIR"] = Path(settings[f"{prefix}_INSTANCE_DIR"])
    return settings


def profile(app: Flask | None = None) -> SiteProfile:
    found: SiteProfile = (app or current_app).extensions[PROFILE_KEY]
    return found


def setting(name: str, app: Flask | None = None) -> Any:
    """The site's setting ``name`` (without its prefix): ``setting("IDP_ISSUER")``."""
    app = app or current_app
    return app.config[f"{profile(app).prefix}_{name}"]


def now() -> datetime:
    clock: Clock = setting("CLOCK")
    return clock()
