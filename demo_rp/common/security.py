"""Response headers: a strict Content Security Policy (no script at all), no caching of pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.wrappers import Response

from demo_rp.common.site import setting

# The site's style sheets and images, and the shared ones (demo_rp/common/static): cacheable.
STATIC_ENDPOINTS = frozenset({"static", "demo_common.static"})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    provider = _origin(setting("IDP_ISSUER", app))
    https = setting("BASE_URL", app).startswith("https://")
    # The sign-out form is answered by a redirect to the provider: form-action allows it.
    policy = (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action 'self' {provider}; frame-ancestors 'none'; base-uri 'none'"
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint not in STATIC_ENDPOINTS and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response
