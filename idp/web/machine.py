"""Endpoints called by programs, not people: the token, revocation, introspection and UserInfo
endpoints a relying party's back-end calls.

They carry no cookie, show no page and need no CSRF token (client authentication or a bearer
token instead). What every page needs is therefore left out for them: Flask-Limiter's
resolution of a route's limits on each request (twice: before the request and around the view)
is replaced by one moving-window hit in the limiter's own storage (Redis when configured, so the
count is shared by every worker as before), and the security headers of HTML pages (a
Content-Security-Policy built per response by Talisman) by a fixed set for JSON answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, jsonify, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from limits import RateLimitItem, parse
from werkzeug.wrappers import Response

from idp.extensions import csrf, limiter

F = TypeVar("F", bound=Callable[..., Any])

# The attribute that marks a view as a machine endpoint (read by machine_endpoints()).
_MARK = "machine_endpoint"
_ENDPOINTS_KEY = "idp.machine_endpoints"


def machine_endpoint(
    limit: str, too_many: Callable[[int], Response] | None = None
) -> Callable[[F], F]:
    """A back-channel view: no CSRF, and at most ``limit`` requests per client address, counted
    across workers in the limiter's storage. Past it: 429 with ``Retry-After``, as JSON (the
    OAuth error shape, or what ``too_many`` makes of the delay)."""
    item = parse(limit)
    refuse = too_many or _too_many

    def decorate(view: F) -> F:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            address = request.remote_addr or "unknown"
            retry_after = over_limit(item, view.__name__, address)
            if retry_after is not None:
                return refuse(retry_after)
            return view(*args, **kwargs)

        setattr(limited, _MARK, True)
        # Flask-Limiter and Flask-WTF know a view by its module and name, which wraps() kept.
        return cast(F, limiter.exempt(csrf.exempt(limited)))

    return decorate


def over_limit(item: RateLimitItem, bucket: str, key: str) -> int | None:
    """Count one request of ``key`` in ``bucket``: None while within ``item``, else the seconds
    to wait. One moving-window hit in the limiter's storage, shared by every worker."""
    # RATELIMIT_ENABLED=false turns this limit off with the others.
    if not limiter.enabled or limiter.limiter.hit(item, "back_channel", bucket, key):
        return None
    reset_at, _remaining = limiter.limiter.get_window_stats(item, "back_channel", bucket, key)
    return max(1, int(reset_at - time.time()))


def _too_many(retry_after: int) -> Response:
    response = jsonify(
        error="rate_limited", error_description="Too many requests; retry after the delay."
    )
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def machine_endpoints(app: Flask) -> frozenset[str]:
    """The endpoints of the views marked by :func:`machine_endpoint` (computed once)."""
    found = app.extensions.get(_ENDPOINTS_KEY)
    if found is None:
        found = frozenset(
            name for name, view in app.view_functions.items() if getattr(view, _MARK, False)
        )
        app.extensions[_ENDPOINTS_KEY] = found
    return cast(frozenset[str], found)


class MachineSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a machine endpoint never answers with the
    cookie: a browser's cookie sent along to one is neither refreshed nor replaced there."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.endpoint in machine_endpoints(app):
            return
        super().save_session(app, session, response)  # type: ignore[arg-type]
