"""Error pages in the layout of the service, in the person's language."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.extensions import db
from idp.web.context import client_info, current_session, runtime


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

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return render_template("errors/http.html", code=code), code
