"""What views need from the request and the app, in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from idp.accounts.models import Account, AccountRole, UserSession
from idp.audit.services import ClientInfo
from idp.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


def runtime() -> Runtime:
    return cast(Runtime, current_app.extensions["idp.runtime"])


def client_info() -> ClientInfo:
    return ClientInfo(ip=request.remote_addr, user_agent=request.headers.get("User-Agent"))


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


def login_required(view: F) -> F:
    """Only for a completed sign-in; a forced password change comes before anything else."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user_session = current_session()
        if user_session is None or not user_session.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if user_session.account.must_change_password and request.endpoint not in {
            "accounts.change_password",
            "accounts.logout",
        }:
            return redirect(url_for("accounts.change_password"))
        return view(*args, **kwargs)

    return cast(F, wrapped)
