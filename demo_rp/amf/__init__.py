"""Demo site of the Autorité des marchés financiers (AMF): a SAML 2.0 service provider of clicSÉQUR.

People sign in with clicSÉQUR (signed AuthnRequest, signed and encrypted assertion), see their
enterprise and the Autorité's « blocs fonctionnels » their rights open, and sign out everywhere
(single logout). ``python -m demo_rp.amf`` serves it at http://localhost:5002.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFError

from demo_rp.amf.blocks import Text, load_blocks
from demo_rp.amf.sessions import COOKIE_NAME, ServerSessionInterface
from demo_rp.amf.settings import Settings
from demo_rp.amf.sp import ServiceProvider
from demo_rp.amf.store import Store
from demo_rp.amf.views import Site, bp, csrf

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The site. ``config`` keys (all optional): ``base_url``, ``instance_dir``,
    ``idp_metadata_url``, ``catalogue_file``, ``secret_key``, ``idp_metadata_fetcher`` (a
    callable taking the URL, returning the metadata), the session and cache durations of
    :class:`~demo_rp.amf.settings.Settings`; the ``AMF_*`` environment variables otherwise."""
    settings = Settings.load(config)
    settings.instance_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.config.update(
        SECRET_KEY=(config or {}).get("secret_key") or _secret_key(settings.instance_dir),
        SESSION_COOKIE_NAME=COOKIE_NAME,
        MAX_CONTENT_LENGTH=512 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        PREFERRED_URL_SCHEME="https" if settings.secure_cookies else "http",
    )
    store = Store(settings.instance_dir / "amf.sqlite3")
    app.session_interface = ServerSessionInterface(store, settings)
    app.extensions["amf"] = Site(
        settings=settings,
        store=store,
        sp=ServiceProvider(settings),
        blocks=load_blocks(settings.catalogue_file),
    )
    csrf.init_app(app)
    app.register_blueprint(bp)
    _error_pages(app)
    content_security_policy = "; ".join(
        [
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self'",
            # Signing out posts here, then goes on to the provider (browsers check redirects).
            f"form-action 'self' {settings.idp_origin}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if settings.secure_cookies:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if not request.path.startswith("/static/") and request.path != "/saml/metadata":
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response

    return app


def _secret_key(instance_dir: Path) -> str:
    """A random key kept in the instance folder (readable by its owner only)."""
    path = instance_dir / "secret_key"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _error_pages(app: Flask) -> None:
    from flask import render_template

    def page(title: Text, message: Text, status: int) -> tuple[str, int]:
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[str, int]:
        return page(
            Text("Formulaire expiré", "Form expired"),
            Text(
                "Ce formulaire a expiré ou ne vient pas de ce site. Revenez à la page et "
                "recommencez.",
                "This form has expired or does not come from this site. Go back to the page "
                "and try again.",
            ),
            400,
        )

    @app.errorhandler(404)
    def _not_found(_error: Exception) -> tuple[str, int]:
        return page(
            Text("Page introuvable", "Page not found"),
            Text(
                "La page demandée n'existe pas ou a été déplacée.",
                "The page you asked for does not exist or has moved.",
            ),
            404,
        )

    @app.errorhandler(405)
    def _not_allowed(_error: Exception) -> tuple[str, int]:
        return page(
            Text("Action non permise", "Action not allowed"),
            Text("Cette page ne permet pas cette action.", "This page does not allow this."),
            405,
        )

    @app.errorhandler(413)
    def _too_large(_error: Exception) -> tuple[str, int]:
        return page(
            Text("Envoi trop volumineux", "Submission too large"),
            Text("Les données envoyées sont trop volumineuses.", "The data sent is too large."),
            413,
        )
