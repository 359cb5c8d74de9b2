"""Pushing the outbox (RFC 8935): at once after the response, then retried with back-off.

A site answers 202 Accepted. A 400 with an error JSON says the SET itself is refused (a bad
audience, a signature it cannot check): sending it again would not help, so it is given up and
recorded. Anything else (no answer, 5xx, a redirect) is tried again later, up to
``MAX_ATTEMPTS`` times over about 18 hours, by ``idp scheduler`` (or ``idp lifecycle run``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import requests
from flask import Flask, g
from sqlalchemy import select
from werkzeug.wrappers import Response

from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.db_types import DbSession
from idp.extensions import db
from idp.runtime import Runtime
from idp.secevents.models import SecurityEventDelivery
from idp.secevents.subscriptions import PENDING_KEY

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 16  # about 19 hours of tries: a site down overnight still hears
FIRST_RETRY = timedelta(seconds=5)
LONGEST_WAIT = timedelta(hours=4)


def deliver_pending(
    session: DbSession,
    runtime: Runtime,
    ids: set[int] | None = None,
    http: requests.Session | None = None,
    *,
    retries_only: bool = False,
) -> list[SecurityEventDelivery]:
    """Send the events that are due (those of ``ids``, or all); returns those tried.

    Each row is locked while it is sent (``SKIP LOCKED`` on PostgreSQL), so a request's own
    delivery and the scheduler never send one event twice at once. SQLite locks no row:
    ``retries_only`` leaves the first tries to the responses that queued them (the demo's
    in-process retries, idp/demo/cli.py).
    """
    now = runtime.clock()
    query = (
        select(SecurityEventDelivery)
        .where(
            SecurityEventDelivery.delivered_at.is_(None),
            SecurityEventDelivery.next_attempt_at.is_not(None),
            SecurityEventDelivery.next_attempt_at <= now,
        )
        .order_by(SecurityEventDelivery.id)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(SecurityEventDelivery.id.in_(ids))
    if retries_only:
        query = query.where(SecurityEventDelivery.attempts > 0)
    due = list(session.scalars(query))
    http = http or requests.Session()
    for row in due:
        _push(session, runtime, row, http)
    session.commit()
    return due


def _push(
    session: DbSession, runtime: Runtime, row: SecurityEventDelivery, http: requests.Session
) -> None:
    client = runtime.registry.client(row.client_id)
    row.attempts += 1
    if client is None or not client.security_events_endpoint:
        _give_up(session, runtime, row, "relying party no longer receives security events")
        return
    try:
        response = http.post(
            client.security_events_endpoint,
            data=row.token.encode(),
            headers={"Content-Type": "application/secevent+jwt", "Accept": "application/json"},
            timeout=DELIVERY_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        _retry_later(session, runtime, row, type(exc).__name__)
        return
    if response.status_code == 202:
        row.delivered_at = runtime.clock()
        row.next_attempt_at = None
        row.last_error = None
        _audit(session, runtime, row, Outcome.SUCCESS, "HTTP 202")
    elif response.status_code == 400:
        _give_up(session, runtime, row, f"HTTP 400 {_error_code(response)}")
    else:
        _retry_later(session, runtime, row, f"HTTP {response.status_code}")


def _error_code(response: requests.Response) -> str:
    """RFC 8935 2.3: the receiver's ``err`` code, when it sent one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("err", ""))[:60] if isinstance(body, dict) else ""


def _retry_later(
    session: DbSession, runtime: Runtime, row: SecurityEventDelivery, error: str
) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        _give_up(session, runtime, row, error)
        return
    wait = min(FIRST_RETRY * 2 ** (row.attempts - 1), LONGEST_WAIT)
    row.next_attempt_at = runtime.clock() + wait
    row.last_error = error[:200]
    logger.warning("security event to %s not delivered: %s", row.client_id, error)


def _give_up(session: DbSession, runtime: Runtime, row: SecurityEventDelivery, error: str) -> None:
    row.next_attempt_at = None
    row.last_error = error[:200]
    _audit(session, runtime, row, Outcome.FAILURE, error)


def _audit(
    session: DbSession,
    runtime: Runtime,
    row: SecurityEventDelivery,
    outcome: Outcome,
    detail: str,
) -> None:
    record(
        session,
        runtime.clock,
        AuditAction.SECURITY_EVENT_PUSH,
        outcome,
        subject_id=row.account_id,
        relying_party=row.client_id,
        event_type=row.event_type,
        jti=row.jti,
        attempts=row.attempts,
        detail=detail,
    )


def register_delivery(app: Flask) -> None:
    """Send the events a request queued once its response has gone: the person who changed a
    proxy does not wait for the sites."""

    @app.after_request
    def _after(response: Response) -> Response:
        ids: set[int] | None = g.pop(PENDING_KEY, None)
        if ids:
            response.call_on_close(_deliver_later(app, ids))
        return response


def _deliver_later(app: Flask, ids: set[int]) -> Callable[[], None]:
    def deliver() -> None:
        # A new application context: the request's is gone, and so is its database session.
        # What the view did not commit does not exist here, and is not sent.
        with app.app_context():
            try:
                deliver_pending(db.session, app.extensions["idp.runtime"], ids)
            except Exception:
                logger.exception("security events not delivered after the response")
                db.session.rollback()

    return deliver
