"""The Management API's blueprint and what its routes share: reading a JSON body, checking a
text field, and answering every refusal as a problem (idp/api/problems.py).

The routes are machine endpoints (idp/web/machine.py): no session, no CSRF token (the bearer
token is the credential, and browsers do not send it by themselves), no page, fixed security
headers, and a limit per client address before the one per client (idp/api/auth.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Blueprint, request
from werkzeug.wrappers import Response

from idp.api.problems import API_PREFIX, ProblemError, problem_response, too_many
from idp.enterprises.models import Enterprise
from idp.extensions import db
from idp.web.machine import machine_endpoint

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)

# Per client address, before the token is read: what a misbehaving caller can cost.
ADDRESS_LIMIT = "600/minute"
# The largest body a route reads: a decision or a message is a few kilobytes at most.
MAX_BODY_BYTES = 64 * 1024


def api_endpoint() -> Callable[[F], F]:
    """A route of the API: a machine endpoint whose 429 is a problem too."""
    return machine_endpoint(ADDRESS_LIMIT, too_many)


@bp.errorhandler(ProblemError)
def _problem(problem: ProblemError) -> Response:
    # Nothing a refused request did is kept.
    db.session.rollback()
    return problem_response(problem)


def json_object() -> dict[str, Any]:
    """The request's body: a JSON object of at most :data:`MAX_BODY_BYTES`."""
    if request.mimetype != "application/json":
        raise ProblemError("unsupported_media_type", "Send the body as application/json.")
    too_large = ProblemError(
        "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes."
    )
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large
    # A body sent without Content-Length (chunked) is read up to one byte past the limit.
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise too_large
    try:
        # RecursionError: thousands of nested brackets, which json gives up on.
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ProblemError("malformed_request", "The body is not JSON.") from exc
    if not isinstance(data, dict):
        raise ProblemError("invalid_body", "The body must be a JSON object.")
    return data


def invalid_field(field: str, detail: str) -> ProblemError:
    return ProblemError("invalid_body", detail, errors=[{"field": field, "detail": detail}])


def text_field(
    data: dict[str, Any], field: str, *, max_length: int, required: bool = True, within: str = ""
) -> str:
    """A string member, stripped: present when ``required``, at most ``max_length``
    characters, without NUL (PostgreSQL text holds none) or lone surrogates (not UTF-8).
    ``within`` names the object it is a member of, in the errors (``subject.fr``)."""
    name = f"{within}.{field}" if within else field
    value = data.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise invalid_field(name, f"'{name}' must be a string.")
    value = value.strip()
    if required and not value:
        raise invalid_field(name, f"'{name}' must not be empty.")
    if len(value) > max_length:
        raise invalid_field(name, f"'{name}' is longer than {max_length} characters.")
    if "\x00" in value or not _is_utf8(value):
        raise invalid_field(name, f"'{name}' holds characters that are not text.")
    return value


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def only_members(data: dict[str, Any], allowed: set[str], within: str = "") -> None:
    """An unknown member is a mistake the caller should hear of, not a value ignored."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        name = unknown[0][:64]  # the caller's own text, quoted back: bounded
        name = f"{within}.{name}" if within else name
        raise invalid_field(name, f"Unknown member '{name}'.")


def enterprise_json(enterprise: Enterprise) -> dict[str, str]:
    return {"neq": enterprise.neq, "legal_name": enterprise.legal_name}


def moment_json(moment: datetime | None) -> str | None:
    """RFC 3339, in UTC, to the second or better."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None
