"""The browser's own cookie (not the session's): which browser a sign-in comes from, for the
« Nouvelle connexion à votre compte » email (idp/accounts/browsers.py)."""

from __future__ import annotations

from flask import current_app, request, url_for
from werkzeug.wrappers import Response

from idp.accounts import browsers
from idp.accounts.models import UserSession
from idp.extensions import db
from idp.web.context import runtime


def identify() -> str:
    """This browser's identifier: its cookie's, or a new one."""
    found = browsers.valid_identifier(request.cookies.get(browsers.COOKIE_NAME))
    return found or browsers.new_identifier()


def keep(response: Response, identifier: str) -> None:
    """Set (or renew) the cookie on both portals; it names the browser, never an account."""
    response.set_cookie(
        browsers.COOKIE_NAME,
        identifier,
        max_age=browsers.MAX_AGE_SECONDS,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
        path="/",
    )


def tell_person(user_session: UserSession) -> None:
    """The email, with links to « Mes sessions » and the password change of their portal."""
    citizen = user_session.account.is_citizen
    browsers.tell_new_browser(
        db.session,
        runtime(),
        user_session.account,
        user_session,
        sessions_url=url_for(
            "citizens.sessions" if citizen else "accounts.sessions", _external=True
        ),
        password_url=url_for(
            "citizens.change_password_page" if citizen else "accounts.change_password",
            _external=True,
        ),
    )
