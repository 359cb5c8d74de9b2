"""Security headers: CSP without inline script, no framing, HSTS over HTTPS, no-store pages."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlsplit

from flask import Flask, request
from flask_talisman import Talisman
from werkzeug.wrappers import Response

from idp.config import Settings
from idp.relying_parties import Registry
from idp.web.machine import machine_endpoints

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


def relying_party_origins(registry: Registry) -> list[str]:
    """Origins the browser may be sent to after a form: the registered relying parties.

    Browsers apply ``form-action`` to every redirect that follows a form post (the code step
    redirects to the authorization endpoint, which redirects to the site), and to the SAML
    response form posted to a service provider's ACS.
    """
    uris = [
        uri
        for client in registry.clients
        for uri in (*client.redirect_uris, *client.post_logout_redirect_uris)
    ]
    uris += [
        endpoint.location
        for provider in registry.service_providers
        for endpoint in (*provider.assertion_consumer_services, *provider.single_logout_services)
    ]
    origins = set()
    for uri in uris:
        parts = urlsplit(uri)
        if parts.scheme in {"https", "http"} and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def init_security(app: Flask, settings: Settings, registry: Registry) -> None:
    policy = dict(CONTENT_SECURITY_POLICY)
    policy["form-action"] = " ".join(["'self'", *relying_party_origins(registry)])
    # One Talisman per app: the extension keeps its options on the instance, so a shared one
    # would give every app the options of the last app built.
    talisman = app.extensions["talisman"] = Talisman(
        app,
        force_https=False,  # TLS ends at the reverse proxy; HSTS below tells browsers to stay.
        strict_transport_security=settings.uses_https,
        strict_transport_security_max_age=31536000,
        strict_transport_security_include_subdomains=True,
        content_security_policy=policy,
        frame_options="DENY",
        # Same-origin, not no-referrer: Flask-WTF checks the Referer of HTTPS form posts
        # (WTF_CSRF_SSL_STRICT), and nothing leaks to other sites either way.
        referrer_policy="same-origin",
        session_cookie_secure=settings.uses_https,
        session_cookie_http_only=True,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )

    _fixed_headers_for_machine_endpoints(app, talisman, settings)

    @app.after_request
    def _no_store(response: Response) -> Response:
        # Pages carry personal data and one-time state: never kept by browsers or proxies.
        if not request.path.startswith("/static/") and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response


def machine_headers(settings: Settings) -> dict[str, str]:
    """The security headers of a JSON answer to a program: nothing in it runs, frames or is
    sniffed, and HTTPS is remembered."""
    headers = {
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }
    if settings.uses_https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def _fixed_headers_for_machine_endpoints(
    app: Flask, talisman: Talisman, settings: Settings
) -> None:
    """Talisman builds a page's headers per response (its CSP from the policy dict); the
    machine endpoints (idp/web/machine.py) get a fixed set instead, set in one update."""
    fixed = machine_headers(settings)
    hooks = app.after_request_funcs[None]
    talisman_hook = hooks[hooks.index(talisman._set_response_headers)]  # noqa: SLF001

    def _set_response_headers(response: Response) -> Response:
        if request.endpoint in machine_endpoints(app):
            response.headers.update(fixed)
            return response
        return cast(Response, talisman_hook(response))

    hooks[hooks.index(talisman_hook)] = _set_response_headers
