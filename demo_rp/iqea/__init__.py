"""IQEA, the Québec Air Emissions Inventory of the MELCCFP: a demo ministry site.

It signs people in through the provider (OpenID Connect, ``private_key_jwt``, PKCE), keeps their
session on the server, hears of rights changes from the provider's security events, and lets
operators file the annual air emissions report of the enterprise they act for and verifiers
approve it. ``python -m demo_rp.iqea`` serves it at http://localhost:5001. What it shares with
the other OpenID Connect demo sites is in :mod:`demo_rp.common`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from demo_rp.common import SiteProfile, create_site
from demo_rp.iqea import i18n, rights_changes, views
from demo_rp.iqea.config import ENVIRONMENT_DEFAULTS, PREFIX, SCOPES
from demo_rp.iqea.extensions import Services
from demo_rp.iqea.identity import person_from
from demo_rp.iqea.keys import CLIENT_KEY_ALG, CLIENT_KEY_FILE
from demo_rp.iqea.sessions import COOKIE_NAME
from demo_rp.iqea.storage import DATABASE_FILE, SCHEMA

__all__ = ["PROFILE", "create_app"]

PROFILE = SiteProfile(
    prefix=PREFIX,
    environment_defaults=ENVIRONMENT_DEFAULTS,
    session_cookie=COOKIE_NAME,
    language_cookie=i18n.LANGUAGE_COOKIE,
    texts=i18n.TEXTS,
    scopes=SCOPES,
    person_from=person_from,
    client_key_file=CLIENT_KEY_FILE,
    client_key_alg=CLIENT_KEY_ALG,
    database_file=DATABASE_FILE,
    schema=SCHEMA,
    # Rights are what UserInfo says now: none when it names none.
    renewed_claim_defaults={"rights": []},
    # Rights that no longer allow IQEA end the person's sessions as soon as the provider says so.
    security_event_ends_sessions=rights_changes.ends_sessions,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The site; ``config`` overrides the environment (``IQEA_*``) and Flask settings."""
    app = create_site(__name__, PROFILE, config, pages=views.bp, services_class=Services)
    i18n.init_app(app)
    rights_changes.init_app(app)
    return app
