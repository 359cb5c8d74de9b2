"""The audit events about the ministry (idp/audit/queries.py), a page at a time.

Each page ends with ``next_cursor`` (after its last event) and ``has_more``; the caller sends
the cursor back as ``cursor`` for the next page. Keeping the last cursor and asking again later
brings the events recorded since, and only those.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from idp.api.auth import ApiCaller, management_access
from idp.api.blueprint import api_endpoint, bp, enterprise_json, moment_json
from idp.api.problems import ProblemError
from idp.api.scopes import ManagementResource
from idp.audit.models import AuditEvent
from idp.audit.queries import ministry_events
from idp.enterprises.models import Enterprise
from idp.extensions import db
from idp.web.context import runtime
from idp.web.converters import MAX_ROW_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_CURSOR_PREFIX = "after:"
# Details a ministry may read: what was decided, where, by which back-end. Session ids,
# delivery errors and addresses stay in the provider's trail.
_SHOWN_DETAILS = ("ministry", "relying_party", "decision", "reason", "api_client", "recipients")


def encode_cursor(event_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{event_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor continues after; a cursor the API did not make is a 400."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError) as exc:
        raise _bad("cursor", "cursor is not one this API gave.") from exc
    digits = text.removeprefix(_CURSOR_PREFIX)
    if (
        not text.startswith(_CURSOR_PREFIX)
        or not digits.isascii()
        or not digits.isdigit()
        or len(digits) > 10
        or not 0 < int(digits) <= MAX_ROW_ID
    ):
        raise _bad("cursor", "cursor is not one this API gave.")
    return int(digits)


def _bad(parameter: str, detail: str) -> ProblemError:
    return ProblemError("invalid_parameter", detail, parameter=parameter)


def _since(value: str | None) -> datetime | None:
    """An RFC 3339 date-time with its offset (``2026-12-01T00:00:00Z``)."""
    if value is None:
        return None
    detail = "since must be an RFC 3339 date-time with a time zone, e.g. 2026-12-01T00:00:00Z."
    if len(value) > 40:
        raise _bad("since", detail)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _bad("since", detail) from exc
    if moment.tzinfo is None:
        raise _bad("since", detail)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise _bad("since", detail) from exc


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    # Digits first, and few of them: int() of thousands of digits is slow, then refused.
    if (
        not value.isascii()
        or not value.isdigit()
        or len(value.lstrip("0")) > 3
        or not 1 <= int(value) <= MAX_LIMIT
    ):
        raise _bad("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(value)


def event_json(event: AuditEvent, enterprise: Enterprise | None) -> dict[str, Any]:
    details = event.details or {}
    return {
        "id": event.id,
        "occurred_at": moment_json(event.occurred_at),
        "action": event.action,
        "outcome": event.outcome,
        "enterprise": enterprise_json(enterprise) if enterprise is not None else None,
        "details": {k: details[k] for k in _SHOWN_DETAILS if k in details},
    }


@bp.get("/ministries/<string(maxlength=32):ministry>/audit-events")
@api_endpoint()
@management_access(ManagementResource.AUDIT)
def list_audit_events(ministry: str, caller: ApiCaller) -> Response:
    """The ministry's events, oldest first, from ``since`` and after ``cursor``."""
    since = _since(request.args.get("since"))
    limit = _limit(request.args.get("limit"))
    cursor = request.args.get("cursor")
    after_id = decode_cursor(cursor) if cursor is not None else None
    registry = runtime().registry
    parties = {c.client_id for c in registry.clients if c.ministry == ministry}
    parties |= {sp.entity_id for sp in registry.service_providers if sp.ministry == ministry}
    # One more than asked: whether another page follows, without counting.
    found = ministry_events(
        db.session, ministry, parties, since=since, after_id=after_id, limit=limit + 1
    )
    page = found[:limit]
    # Always a cursor once an event was seen: kept, it brings later only what came after.
    last = encode_cursor(page[-1][0].id) if page else cursor
    return jsonify(
        events=[event_json(event, enterprise) for event, enterprise in page],
        next_cursor=last,
        has_more=len(found) > limit,
    )
