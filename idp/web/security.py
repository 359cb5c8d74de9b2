"""Security headers: CSP without inline script, no framing, HSTS over HTTPS, no-store pages."""

from __future__ import annotations

from flask import Flask, request
from flask_talisman import Talisman
from werkzeug.wrappers import Response

from idp.config import Settings

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def init_security(app: Flask, settings: Settings) -> None:
    # One Talisman per app: the extension keeps its options on the instance, so a shared one
    # would give every app the options of the last app built.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=False,  # TLS ends at the reverse proxy; HSTS below tells browsers to stay.
        strict_transport_security=settings.uses_https,
        strict_transport_security_max_age=31536000,
        strict_transport_security_include_subdomains=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        # Same-origin, not no-referrer: Flask-WTF checks the Referer of HTTPS form posts
        # (WTF_CSRF_SSL_STRICT), and nothing leaks to other sites either way.
        referrer_policy="same-origin",
        session_cookie_secure=settings.uses_https,
        session_cookie_http_only=True,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )

    @app.after_request
    def _no_store(response: Response) -> Response:
        # Pages carry personal data and one-time state: never kept by browsers or proxies.
        if not request.path.startswith("/static/") and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
