"""What the proxy pages share: the blueprint, the proxy this ESM may see, values kept in the
session between steps, and service calls run in the request's transaction.

Services decide and raise typed errors; here they become pages: a proxy this ESM may not act on
is « not found », like one that does not exist (nothing is learnt about other enterprises'
proxies); a conflict or a validation error is handed back for the page to show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn, TypeVar

from flask import Blueprint, abort, flash, redirect, session
from werkzeug.wrappers import Response
from wtforms import Field

from idp.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    StepUpRequiredError,
    ValidationError,
)
from idp.extensions import db
from idp.proxies import policies
from idp.proxies.forms import ProxyForm
from idp.proxies.models import Proxy
from idp.proxies.services import find_proxy
from idp.web.context import current_account, runtime, step_up_redirect

bp = Blueprint("proxies", __name__)

T = TypeVar("T")

#: What a service refuses with and a page shows: a conflict, or a validation error.
Refusal = ConflictError | ValidationError


# -- the proxy, the enterprise, the day ------------------------------------------------------------


def visible_proxy(proxy_id: int, *checks: Any) -> Proxy:
    """The proxy, if this ESM may see it and passes ``checks``; otherwise 404."""
    account = current_account()
    try:
        proxy = find_proxy(db.session, proxy_id)
    except NotFoundError:
        not_found()
    if not policies.can_view(account, proxy) or not all(p(account, proxy) for p in checks):
        not_found()
    return proxy


def current_enterprise_id() -> int:
    enterprise_id = current_account().enterprise_id
    if enterprise_id is None:
        abort(403)
    return enterprise_id


def current_day() -> date:
    return runtime().today()


def not_found() -> NoReturn:
    abort(404)


# -- values kept in the session between steps ------------------------------------------------------


def kept(key: str) -> dict[str, Any]:
    """What the session keeps under ``key`` for this account; empty if nothing, or another's."""
    value = session.get(key)
    if isinstance(value, dict) and value.get("account_id") == current_account().id:
        return value
    return {}


def pending(key: str, proxy: Proxy) -> Any:
    """A value kept in the session for this proxy and this account (see :func:`remember`)."""
    value = kept(key)
    return value.get("value") if value.get("proxy_id") == proxy.id else None


def remember(key: str, proxy: Proxy, value: Any) -> None:
    session[key] = {"proxy_id": proxy.id, "account_id": current_account().id, "value": value}


# -- service calls ---------------------------------------------------------------------------------


def commit_or_404(call: Callable[[], T]) -> T:
    """Run a service call and commit what it did; if it fails, roll it back.

    A proxy or an assignment this ESM may not act on, or that does not exist, gives 404; any
    other error goes on up.
    """
    try:
        result = call()
    except (ForbiddenError, NotFoundError):
        db.session.rollback()
        not_found()
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def attempt(call: Callable[[], T]) -> T | Refusal:
    """:func:`commit_or_404`, for a page that shows what the service refused: returns the call's
    result, or its refusal (a conflict or a validation error)."""
    try:
        return commit_or_404(call)
    except (ConflictError, ValidationError) as refusal:
        return refusal


def attempt_sensitive(call: Callable[[], T], *, step_up_to: str) -> T | Refusal | Response:
    """:func:`attempt`, for an action that may need an emailed code entered in the last minutes:
    without one, returns the redirect to enter it, then come back to ``step_up_to``."""
    try:
        return attempt(call)
    except StepUpRequiredError:
        return step_up_redirect(step_up_to)


def finish(message: str, to: str, *, forget: str | None = None) -> Response:
    """After a change: drop the draft kept under ``forget``, say it is done, go to ``to``."""
    if forget is not None:
        session.pop(forget, None)
    flash(message, "success")
    return redirect(to)


def refusal_message(refusal: Refusal, form: Any = None) -> str | None:
    """What to show of a refusal: a validation error goes on its field of ``form`` if there is
    one (see :func:`attach`); otherwise its message."""
    if isinstance(refusal, ValidationError) and form is not None:
        return attach(form, refusal)
    return str(refusal.message)


def attach(form: Any, error: ValidationError) -> str | None:
    """Show a service's validation error on its field; returns it when no field fits."""
    names = error.details.get("fields") or [error.details.get("field")]
    fields: list[Field] = []
    for name in names:
        if name == "grants" and isinstance(form, ProxyForm) and form.ministries:
            fields.append(form.grant_field(form.ministries[0]))
        elif name and name in form:
            fields.append(form[name])
    for field in fields:
        field.errors = [*field.errors, error.message]
    return None if fields else str(error.message)
