"""Load the server-side session behind the cookie on every request."""

from __future__ import annotations

from flask import Flask, g, request, session

from idp.accounts.sessions import load_session
from idp.extensions import db
from idp.web.context import runtime
from idp.web.machine import machine_endpoints

SESSION_TOKEN_KEY = "t"  # noqa: S105 (the name of a cookie field, not a secret)


def register_session_loader(app: Flask) -> None:
    @app.before_request
    def _load() -> None:
        g.user_session = None
        # Programs carry a token, not a cookie: a cookie sent along loads nothing.
        if request.endpoint == "static" or request.endpoint in machine_endpoints(app):
            return
        token = session.get(SESSION_TOKEN_KEY)
        if not token:
            return
        user_session = load_session(db.session, runtime(), token)
        if user_session is None:
            session.pop(SESSION_TOKEN_KEY, None)
        g.user_session = user_session
        # The expiry checks may have ended the session (None, rare) or touched last_seen_at (at
        # most once a minute). Commit only then: a commit costs a round trip and expires what
        # was loaded, which the view would read again. (Ending a session flushes its audit
        # event and notices, so a clean session does not mean nothing was written.)
        if user_session is None or db.session.dirty:
            db.session.commit()


def set_session_token(token: str, *, persistent: bool) -> None:
    """Put a new token in the cookie; a public computer's cookie dies with the browser."""
    _clear()
    session[SESSION_TOKEN_KEY] = token
    session.permanent = persistent


def clear_session_token() -> None:
    _clear()


def _clear() -> None:
    session.clear()
    # Flask-WTF caches the CSRF token of the old session for the request; drop it with it.
    g.pop("csrf_token", None)
