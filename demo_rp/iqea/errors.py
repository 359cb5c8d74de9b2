"""Error pages in both languages.

An unexpected exception reaches the 500 page through Flask's InternalServerError (outside
testing, where it propagates).
"""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

_PAGES = {
    400: ("bad_request_title", "bad_request_text"),
    404: ("not_found_title", "not_found_text"),
    405: ("method_title", "method_text"),
}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[str, int]:
        return render_template(
            "error.html", title="csrf_title", message="csrf_text", status=400
        ), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        title, message = _PAGES.get(status, ("server_error_title", "server_error_text"))
        return render_template("error.html", title=title, message=message, status=status), status
