"""IQEA, the Québec Air Emissions Inventory of the MELCCFP: a demo ministry site.

It signs people in through the provider (OpenID Connect, ``private_key_jwt``, PKCE), keeps their
session on the server, and lets operators file the annual air emissions report of the enterprise
they act for and verifiers approve it. ``python -m demo_rp.iqea`` serves it on 127.0.0.1:5001.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from demo_rp.iqea import auth, errors, i18n, security, views
from demo_rp.iqea.config import load_settings
from demo_rp.iqea.extensions import EXTENSION_KEY, Services, csrf
from demo_rp.iqea.keys import load_client_key, load_secret_key, public_jwks
from demo_rp.iqea.oidc import register_client
from demo_rp.iqea.reports import ReportStore
from demo_rp.iqea.sessions import COOKIE_NAME, ServerSessionInterface, SessionStore
from demo_rp.iqea.storage import DATABASE_FILE, Database

__all__ = ["create_app"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The site; ``config`` overrides the environment (``IQEA_*``) and Flask settings."""
    settings = load_settings(config)
    instance_dir: Path = settings["IQEA_INSTANCE_DIR"].resolve()
    instance_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(instance_dir))
    app.config.update(settings)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(instance_dir)
    https = app.config["IQEA_BASE_URL"].startswith("https://")
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME="https" if https else "http",
        MAX_CONTENT_LENGTH=64 * 1024,
    )

    database = Database(instance_dir / DATABASE_FILE)
    database.create()
    sessions = SessionStore(
        database,
        app.config["IQEA_CLOCK"],
        idle=int(app.config["IQEA_SESSION_IDLE_SECONDS"]),
        maximum=int(app.config["IQEA_SESSION_MAX_SECONDS"]),
    )
    client_key = load_client_key(instance_dir)
    app.extensions[EXTENSION_KEY] = Services(
        database=database,
        sessions=sessions,
        reports=ReportStore(database),
        client_key=client_key,
        jwks=public_jwks(client_key),
    )
    app.session_interface = ServerSessionInterface(sessions)

    csrf.init_app(app)
    register_client(app, client_key)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    app.register_blueprint(views.bp)
    return app
