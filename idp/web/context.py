"""What views need from the request and the app, in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import Account, AccountRole, Portal, UserSession
from idp.audit.services import ClientInfo
from idp.conditions.guard import redirect_if_pending
from idp.runtime import Runtime
from idp.web.i18n import return_address

F = TypeVar("F", bound=Callable[..., Any])


def runtime() -> Runtime:
    return cast(Runtime, current_app.extensions["idp.runtime"])


def client_info() -> ClientInfo:
    """Where the request came from, as kept in the audit trail and the sessions: each value cut
    to its column (String(64), String(512)) and without control characters (PostgreSQL text
    holds no NUL; a User-Agent header can carry one)."""
    return ClientInfo(
        ip=_printable(request.remote_addr, 64),
        user_agent=_printable(request.headers.get("User-Agent"), 512),
    )


def _printable(value: str | None, limit: int) -> str | None:
    kept = "".join(c for c in (value or "")[:limit] if c.isprintable())
    return kept or None


def current_session() -> UserSession | None:
    return cast(UserSession | None, g.get("user_session"))


def signed_in_session() -> UserSession:
    """The session of a view behind :func:`login_required`."""
    user_session = current_session()
    if user_session is None:
        raise RuntimeError("signed_in_session() outside a login_required view")
    return user_session


def current_account() -> Account:
    """The signed-in account of a view behind :func:`login_required`."""
    return signed_in_session().account


def code_verified_at() -> datetime | None:
    """When this session last entered the emailed code (for the step-up rule)."""
    return signed_in_session().code_verified_at


def step_up_redirect(next_url: str) -> Response:
    """Send the person to enter a new emailed code, then back to ``next_url``."""
    return redirect(url_for("mfa.step_up", next=next_url))


def roles_required(*roles: AccountRole) -> Callable[[F], F]:
    """Signed in, active, and holding one of ``roles``; anyone else gets the 403 page."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            account = current_account()
            if not account.is_active or account.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def home_url(account: Account) -> str:
    """The home page of the account's own portal."""
    return url_for("citizens.home" if account.is_citizen else "home.index")


def sign_in_url(portal: Portal, **args: Any) -> str:
    return url_for("citizens.login" if portal is Portal.CITIZEN else "accounts.login", **args)


def _portal_required(portal: Portal | None) -> Callable[[F], F]:
    """Only for a completed sign-in at ``portal`` (None: either); the other portal's accounts
    are sent to their own home, never shown this page."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user_session = current_session()
            if user_session is None or not user_session.is_authenticated:
                own = portal or (Portal.CITIZEN if request.path.startswith("/citoyens/") else None)
                return redirect(sign_in_url(own or Portal.ENTERPRISE, next=return_address()))
            account = user_session.account
            if portal is not None and account.portal != portal:
                flash(_other_portal_message(account.portal), "info")
                return redirect(home_url(account))
            if account.must_change_password and request.endpoint not in {
                "accounts.change_password",
                "accounts.logout",
            }:
                return redirect(url_for("accounts.change_password"))
            # Then the conditions of use, when the person has not accepted those in force.
            to_conditions = redirect_if_pending(account)
            if to_conditions is not None:
                return to_conditions
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def _other_portal_message(own: Portal) -> str:
    if own is Portal.CITIZEN:
        return _(
            "That page belongs to clicSÉQUR – Entreprises. You are signed in with a citizen "
            "account: sign out, then sign in with an enterprise account to open it."
        )
    return _(
        "That page belongs to clicSÉQUR – Citoyens. You are signed in with an enterprise "
        "account: sign out, then sign in with a citizen account to open it."
    )


# Pages of clicSÉQUR – Entreprises; a forced password change comes before anything else, then
# the conditions of use (idp.conditions.guard).
login_required = _portal_required(Portal.ENTERPRISE)
# Pages of clicSÉQUR – Citoyens.
citizen_login_required = _portal_required(Portal.CITIZEN)
# Pages both portals share (entering a code for a sensitive action).
any_login_required = _portal_required(None)
