"""Error pages in the layout of the service, in the person's language."""

from __future__ import annotations

import logging
from contextlib import suppress

from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from idp.api.problems import http_problem, is_api_request
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.extensions import db
from idp.web.context import client_info, current_session, runtime

logger = logging.getLogger(__name__)

# A store that does not answer (the database restarting, Redis gone): the request cannot be
# served now, but nothing is wrong with it. 503 tells load balancers and clients to retry.
UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
)
RETRY_AFTER_SECONDS = 5
# Endpoints called by programs, not people: their errors are JSON.
_PROTOCOL_PREFIXES = (
    "/oidc/token",
    "/oidc/userinfo",
    "/oidc/revoke",
    "/oidc/introspect",
    "/.well-known/",
)


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        user_session = current_session()
        db.session.rollback()
        record(
            db.session,
            runtime().clock,
            AuditAction.CSRF_REJECT,
            Outcome.DENIED,
            client=client_info(),
            subject_id=user_session.account_id if user_session else None,
            path=request.path,
            reason=error.description,
        )
        db.session.commit()
        return render_template("errors/csrf.html"), 400

    def _unavailable(error: Exception) -> tuple[Response | str, int, dict[str, str]]:
        logger.warning("store unavailable: %s on %s", type(error).__name__, request.path)
        with suppress(*UNAVAILABLE):  # the connection is gone; the pool replaces it
            db.session.rollback()
        # The page must not read the database again (the layout shows who is signed in).
        g.user_session = None
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if is_api_request():
            return http_problem(ServiceUnavailable()), 503, headers
        if request.path.startswith(_PROTOCOL_PREFIXES):
            body = jsonify(
                error="temporarily_unavailable",
                error_description="The service is temporarily unavailable; retry shortly.",
            )
            return body, 503, headers
        return render_template("errors/http.html", code=503), 503, headers

    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, _unavailable)

    @app.teardown_appcontext
    def _end_session_quietly(_error: BaseException | None) -> None:
        # Registered after Flask-SQLAlchemy's, so it runs first: a rollback on a connection
        # the database dropped must not turn the page already answered into a 500.
        try:
            db.session.remove()
        except UNAVAILABLE:
            db.session.registry.clear()  # the next request starts with a new session

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str | Response, int]:
        code = error.code or 500
        if is_api_request():
            # Routing (404, 405) and body parsing (400, 413) answer before any API view.
            return http_problem(error), code
        return render_template("errors/http.html", code=code), code
