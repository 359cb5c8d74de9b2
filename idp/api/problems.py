"""Errors of the Management API as RFC 9457 problem details (``application/problem+json``).

Each problem has a stable ``type`` (a tag URI, RFC 4151: an identifier, not a page), a short
``title`` that never changes for the type, the HTTP ``status`` and a ``detail`` for this
occurrence. Bearer-token refusals also carry the RFC 6750 ``WWW-Authenticate`` challenge.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "tag:clicsequr.quebec,2026:api:problem:"
API_PREFIX = "/api/v1"
REALM = "clicsequr"

#: Every problem type of the API: its status and title (docs/management-api.md lists them).
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "malformed_request": (400, "The request cannot be read"),
    "invalid_parameter": (400, "A query parameter is not valid"),
    "missing_token": (401, "An access token is required"),
    "invalid_token": (401, "The access token is not valid"),
    "insufficient_scope": (403, "The access token lacks the scope this needs"),
    "other_ministry": (403, "The access token is for another ministry"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "already_decided": (409, "The registration was already decided"),
    "no_recipient": (409, "Nobody can receive the message"),
    "payload_too_large": (413, "The body is too large"),
    "unsupported_media_type": (415, "The body must be JSON"),
    "invalid_body": (422, "The body is not valid"),
    "rate_limited": (429, "Too many requests"),
    "unavailable": (503, "The service is temporarily unavailable"),
    "server_error": (500, "The request could not be handled"),
}

# What an HTTP error raised by Flask or Werkzeug (routing, body parsing) becomes.
_FROM_STATUS = {
    400: "malformed_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


class ProblemError(Exception):
    """A refusal, raised anywhere in the API and answered by :func:`problem_response`."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.status, self.title = PROBLEM_TYPES[code]
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(problem: ProblemError) -> Response:
    body = {
        "type": TYPE_PREFIX + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        **problem.extensions,
    }
    response = jsonify(body)
    response.status_code = problem.status
    response.mimetype = MEDIA_TYPE
    response.headers.update(problem.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def bearer_challenge(error: str | None = None, description: str = "", scope: str = "") -> str:
    """RFC 6750 3: the ``WWW-Authenticate`` value; no error attribute when no token came."""
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}", error_description="{description}"'
    if scope:
        challenge += f', scope="{scope}"'
    return challenge


def too_many(retry_after: int) -> Response:
    return problem_response(
        ProblemError(
            "rate_limited",
            f"Too many requests; retry in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
    )


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def http_problem(error: HTTPException) -> Response:
    """An HTTP error of Flask or Werkzeug on an API path, as a problem (never a page)."""
    status = error.code or 500
    code = _FROM_STATUS.get(status, "server_error" if status >= 500 else None)
    if code is None:
        # A status the API never answers by itself (408, 431…): RFC 9457 4.2's about:blank.
        response = jsonify(
            type="about:blank", title=error.name, status=status, detail=error.name + "."
        )
        response.status_code = status
        response.mimetype = MEDIA_TYPE
        return response
    detail = {
        "not_found": "No such resource.",
        "method_not_allowed": "This resource does not take that method.",
        "payload_too_large": "The body is larger than the API accepts.",
        "server_error": "The request could not be handled.",
    }.get(code, PROBLEM_TYPES[code][1] + ".")
    response = problem_response(ProblemError(code, detail))
    allowed = getattr(error, "valid_methods", None)
    if code == "method_not_allowed" and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response
