"""Settings of the IQEA site: environment variables with defaults, overridden by a dict.

=====================  ===================================  ======================================
Variable               Default                              Meaning
=====================  ===================================  ======================================
IQEA_IDP_ISSUER        http://127.0.0.1:5000                the provider (discovery is read there)
IQEA_BASE_URL          http://127.0.0.1:5001                where this site is served
IQEA_INSTANCE_DIR      instance/demo/iqea                   key pair, secret key, SQLite database
IQEA_CLIENT_ID         iqea                                 the client id registered at the provider
=====================  ===================================  ======================================
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ENVIRONMENT_DEFAULTS: dict[str, str] = {
    "IQEA_IDP_ISSUER": "http://127.0.0.1:5000",
    "IQEA_BASE_URL": "http://127.0.0.1:5001",
    "IQEA_INSTANCE_DIR": "instance/demo/iqea",
    "IQEA_CLIENT_ID": "iqea",
}

# What the site asks for: who the person is, for which enterprise, and the two IQEA rights.
OPERATOR_RIGHT = "melccfp.iqea.operator"
VERIFIER_RIGHT = "melccfp.iqea.verifier"
IQEA_RIGHTS = (OPERATOR_RIGHT, VERIFIER_RIGHT)
SCOPES = ("openid", "profile", "email", "enterprise", *IQEA_RIGHTS)

OTHER_DEFAULTS: dict[str, Any] = {
    # A site session ends after this long without a request, or this long after sign-in.
    "IQEA_SESSION_IDLE_SECONDS": 30 * 60,
    "IQEA_SESSION_MAX_SECONDS": 10 * 3600,
    # Calls to the provider (discovery, token, UserInfo, keys).
    "IQEA_HTTP_TIMEOUT_SECONDS": 5,
    # The access token is renewed this long before it expires.
    "IQEA_REFRESH_MARGIN_SECONDS": 30,
    # Clock skew accepted on the provider's tokens.
    "IQEA_CLOCK_LEEWAY_SECONDS": 60,
    # A logout token older than this is refused (Back-Channel Logout 1.0, 2.6: "iat" recent).
    "IQEA_LOGOUT_TOKEN_MAX_AGE_SECONDS": 300,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def load_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The environment (or the defaults), then ``overrides``; URLs without a trailing slash."""
    settings: dict[str, Any] = {
        key: os.environ.get(key, default) for key, default in ENVIRONMENT_DEFAULTS.items()
    }
    settings.update(OTHER_DEFAULTS)
    settings["IQEA_CLOCK"] = utc_now
    settings.update(overrides or {})
    settings["IQEA_IDP_ISSUER"] = str(settings["IQEA_IDP_ISSUER"]).rstrip("/")
    settings["IQEA_BASE_URL"] = str(settings["IQEA_BASE_URL"]).rstrip("/")
    settings["IQEA_INSTANCE_DIR"] = Path(settings["IQEA_INSTANCE_DIR"])
    return settings


Clock = Callable[[], datetime]
