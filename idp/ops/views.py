"""``/healthz`` (the process answers), ``/readyz`` (it can serve: database and Redis reachable)
and ``/metrics`` (Prometheus), for load balancers, orchestrators and monitoring.

``/metrics`` is served to loopback clients, or to a scraper presenting ``IDP_METRICS_TOKEN``
as a bearer token; anyone else gets 404, as for a page that does not exist.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import text

from idp.extensions import db, limiter
from idp.net import is_loopback_host
from idp.ops.metrics import exposition
from idp.web.context import runtime

bp = Blueprint("ops", __name__)
logger = logging.getLogger(__name__)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> Response:
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
@limiter.exempt
def readyz() -> tuple[Response, int]:
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    ready = all(state != "down" for state in checks.values())
    body = jsonify(status="ready" if ready else "not_ready", checks=checks)
    return _no_store(body), 200 if ready else 503


@bp.get("/metrics")
@limiter.exempt
def metrics() -> Response:
    if not _may_scrape():
        abort(404)
    payload, content_type = exposition()
    return _no_store(Response(payload, content_type=content_type))


def _database_ok() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means not ready
        db.session.rollback()
        logger.warning("readiness: database unreachable: %s", type(exc).__name__)
        return "down"
    return "up"


def _redis_ok() -> str:
    if not runtime().settings.redis_url:
        return "not_configured"
    try:
        reachable = bool(runtime().throttle.storage.check())
    except Exception as exc:  # a refused connection, a timeout
        logger.warning("readiness: redis unreachable: %s", type(exc).__name__)
        reachable = False
    return "up" if reachable else "down"


def _may_scrape() -> bool:
    token = runtime().settings.metrics_token
    header = request.headers.get("Authorization", "")
    if token is not None and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].encode(), token.get_secret_value().encode())
    return is_loopback_host(request.remote_addr or "")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
