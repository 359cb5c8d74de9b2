"""What the proxy pages share: the blueprint, the proxy this ESM may see, values kept in the
session between steps, and service calls run in the request's transaction.

Services decide and raise typed errors; here they become pages: a proxy this ESM may not act on
is « not found », like one that does not exist (nothing is learnt about other enterprises'
proxies); a conflict or a validation error is handed back for the page to show.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, session

from idp.errors import NotFoundError, ValidationError
from idp.extensions import db
from idp.proxies import policies
from idp.proxies.forms import ProxyForm
from idp.proxies.models import Proxy
from idp.proxies.services import find_proxy
from idp.web import actions
from idp.web.actions import Refusal, error_fields, not_found
from idp.web.context import current_account, runtime

bp = Blueprint("proxies", __name__)

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


# -- refusals on the proxy form (the rest of the contract: idp/web/actions.py) ------------------


def refusal_message(refusal: Refusal, form: Any = None) -> str | None:
    """:func:`idp.web.actions.refusal_message`, placing a refusal on a proxy form's fields."""
    if isinstance(refusal, ValidationError) and form is not None:
        return attach(form, refusal)
    return str(refusal.message)


def attach(form: Any, error: ValidationError) -> str | None:
    """:func:`idp.web.actions.attach`; an error on the grants goes on the first ministry's."""
    if isinstance(form, ProxyForm) and form.ministries and "grants" in error_fields(error):
        field = form.grant_field(form.ministries[0])
        field.errors = [*field.errors, error.message]
        return None
    return actions.attach(form, error)
