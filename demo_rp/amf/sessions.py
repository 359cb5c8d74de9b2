"""Server-side sessions: the ``amf_session`` cookie holds a random token, SQLite the data.

The provider runs on the same host (another port) and browsers do not separate cookies by port,
hence a cookie name of the site's own. A session is created only when something is stored in
it; :meth:`ServerSession.regenerate` gives a new token (after sign-in); an emptied session is
deleted with its cookie. A session ended elsewhere (single logout) is never saved back.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from demo_rp.amf.settings import Settings
from demo_rp.amf.store import Store

COOKIE_NAME = "amf_session"


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, initial: dict[str, Any] | None = None, token: str | None = None) -> None:
        def on_update(_session: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.modified = False
        self.regenerate_requested = False

    def regenerate(self) -> None:
        """A new token at the end of the request (the old one stops working)."""
        self.regenerate_requested = True
        self.modified = True


class ServerSessionInterface(SessionInterface):
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(COOKIE_NAME)
        if token and len(token) < 200:
            data = self.store.load_session(
                token,
                time.time(),
                self.settings.session_idle_seconds,
                self.settings.session_absolute_seconds,
            )
            if data is not None:
                return ServerSession(data, token)
        return ServerSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)  # noqa: S101
        now = time.time()
        data = dict(session)
        if not data:
            if session.token is not None:
                self.store.delete_session(session.token)
                self._delete_cookie(response)
            return
        if session.regenerate_requested and session.token is not None:
            self.store.delete_session(session.token)
            session.token = None
        if session.token is None:
            token = secrets.token_urlsafe(32)
            self.store.create_session(token, data, now)
            session.token = token
            self._set_cookie(response, token)
            return
        if not self.store.update_session(session.token, data, now):
            self._delete_cookie(response)  # ended meanwhile (single logout)

    def _set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(
            COOKIE_NAME,
            token,
            httponly=True,
            secure=self.settings.secure_cookies,
            # Lax: the provider's POST to the ACS comes from the same site (another port here).
            samesite="Lax",
            path="/",
        )

    def _delete_cookie(self, response: Response) -> None:
        response.delete_cookie(
            COOKIE_NAME,
            path="/",
            httponly=True,
            secure=self.settings.secure_cookies,
            samesite="Lax",
        )
