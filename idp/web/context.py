"""What views need from the request and the app, in one place."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, redirect, request, url_for

from idp.accounts.models import UserSession
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
