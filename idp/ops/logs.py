"""Structured logs: one JSON object a line, with the request each line belongs to.

``IDP_LOG_FORMAT=json`` (what ``config/gunicorn.conf.py`` sets) makes every record of the
provider's loggers a JSON object: time, level, logger, message, the record's extra fields (the
audit facts of ``idp.audit``, already free of secrets), and, inside a request, its id, method
and path. The request id is the ``X-Request-ID`` a trusted reverse proxy set, or a new one; it
is sent back in the response so a person's report can be found in the logs.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter
from werkzeug.wrappers import Response

from idp.config import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")


class RequestContextFilter(logging.Filter):
    """Adds the request id, method and path to records logged while serving a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            record.method = request.method
            record.path = request.path
        return True


def configure_logging(settings: Settings) -> None:
    """Set the format and level of the provider's logs (once per process)."""
    root = logging.getLogger()
    if settings.log_format == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
        handler.addFilter(RequestContextFilter())
        root.handlers = [handler]
        root.setLevel(logging.WARNING)
    logging.getLogger("idp").setLevel(settings.log_level.upper())


def init_request_ids(app: Flask, *, trust_incoming: bool) -> None:
    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "") if trust_incoming else ""
        g.request_id = incoming if _ACCEPTABLE_ID.fullmatch(incoming) else secrets.token_hex(8)

    @app.after_request
    def _echo(response: Response) -> Response:
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response
