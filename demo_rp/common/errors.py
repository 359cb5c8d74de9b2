"""Error pages in both languages.

An unexpected exception reaches the 500 page through Flask's InternalServerError (outside
testing, where it propagates).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

ERROR_TEMPLATE = "common/error.html"

_PAGES = {
    400: ("bad_request_title", "bad_request_text"),
    404: ("not_found_title", "not_found_text"),
    405: ("method_title", "method_text"),
}


def error_page(title: str, message: str, status: int, **extra: Any) -> tuple[str, int]:
    """The error page: ``title`` and ``message`` are text keys."""
    return render_template(
        ERROR_TEMPLATE, title=title, message=message, status=status, **extra
    ), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[str, int]:
        return error_page("csrf_title", "csrf_text", 400)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        title, message = _PAGES.get(status, ("server_error_title", "server_error_text"))
        return error_page(title, message, status)
