"""``create_site``: a demo site's Flask application, from its profile and its own pages;
``serve``: the development server of ``python -m demo_rp.<site>``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask

from demo_rp.common import auth, errors, i18n, security
from demo_rp.common.keys import load_client_key, load_secret_key, public_jwks
from demo_rp.common.oidc import register_client
from demo_rp.common.services import SERVICES_KEY, Services, csrf
from demo_rp.common.sessions import ServerSessionInterface, SessionStore
from demo_rp.common.site import PROFILE_KEY, SiteProfile, load_settings, setting
from demo_rp.common.storage import Database
from idp.demo.named import served_under

# The shared templates (``common/layout.html``, ``common/error.html``, ...) and style sheet.
shared = Blueprint(
    "demo_common",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/common-static",
)


def create_site(
    import_name: str,
    profile: SiteProfile,
    config: Mapping[str, Any] | None,
    *,
    pages: Blueprint,
    services_class: type[Services] = Services,
) -> Flask:
    """The site; ``config`` overrides the environment (``<PREFIX>_*``) and Flask settings.

    ``pages`` is the site's blueprint, named ``site``, with at least ``site.home``.
    """
    settings = load_settings(profile, config)
    prefix = profile.prefix
    instance_dir: Path = settings[f"{prefix}_INSTANCE_DIR"].resolve()
    instance_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(import_name, instance_path=str(instance_dir))
    app.extensions[PROFILE_KEY] = profile
    app.config.update(settings)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(instance_dir)
    https = app.config[f"{prefix}_BASE_URL"].startswith("https://")
    app.config.update(
        SESSION_COOKIE_NAME=profile.session_cookie,
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME="https" if https else "http",
        MAX_CONTENT_LENGTH=64 * 1024,
    )

    database = Database(instance_dir / profile.database_file, profile.schema)
    database.create()
    sessions = SessionStore(
        database,
        app.config[f"{prefix}_CLOCK"],
        idle=int(app.config[f"{prefix}_SESSION_IDLE_SECONDS"]),
        maximum=int(app.config[f"{prefix}_SESSION_MAX_SECONDS"]),
    )
    client_key = load_client_key(instance_dir, profile.client_key_file, profile.client_key_alg)
    app.extensions[SERVICES_KEY] = services_class(
        database=database, sessions=sessions, client_key=client_key, jwks=public_jwks(client_key)
    )
    app.session_interface = ServerSessionInterface(sessions, profile.session_cookie)

    csrf.init_app(app)
    register_client(app, client_key)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    app.register_blueprint(shared)
    app.register_blueprint(pages)
    return app


def serve(app: Flask, name: str) -> None:
    """Serve the site on loopback at the port of its base URL (``python -m demo_rp.<site>``)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    base_url = setting("BASE_URL", app)
    base = urlsplit(base_url)
    port = base.port or (443 if base.scheme == "https" else 80)
    print(f"{name}: {base_url} (provider {setting('IDP_ISSUER', app)})")
    app.wsgi_app = served_under(app.wsgi_app, base_url)  # type: ignore[method-assign]
    # Threaded: while the site waits on the provider's token endpoint, the provider fetches
    # the site's jwks_uri.
    app.run(host="127.0.0.1", port=port, threaded=True, debug=False, use_reloader=False)
