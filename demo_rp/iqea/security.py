"""Response headers: a strict Content Security Policy (no script at all), no caching of pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.wrappers import Response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    provider = _origin(app.config["IQEA_IDP_ISSUER"])
    https = app.config["IQEA_BASE_URL"].startswith("https://")
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
        if request.endpoint != "static" and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response
