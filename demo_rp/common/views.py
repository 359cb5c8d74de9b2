"""Pages every site has, on its own ``site`` blueprint: the language switch and « transmis »;
the main menu of a signed-in person.

The shared parts name the site's pages by endpoint: ``site.home`` (where people land) and the
two added here, ``site.language`` and ``site.transmitted``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from demo_rp.common import i18n
from demo_rp.common import transmitted as transmitted_data
from demo_rp.common.site import now, setting

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class NavItem:
    """An entry of the main menu."""

    label: str
    url: str
    current: bool


# The site's entries of the main menu: (the person signed in, the endpoint shown) -> entries.
Menu = Callable[[Any, str], list[NavItem]]


def signed_in(view: View) -> View:
    """The page needs a signed-in person; others go to the home page, told to sign in."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("person") is None:
            flash("flash_sign_in_first", "info")
            return redirect(url_for("site.home"))
        return view(*args, **kwargs)

    return cast(View, wrapper)


def returned_from_sign_out() -> Response | None:
    """Back from the provider's logout (``state`` as sent): say so, on a clean home page."""
    state = request.args.get("state")
    if state and session.get("logout_state") == state:
        session.pop("logout_state")
        flash("flash_signed_out", "success")
        return redirect(url_for("site.home"))
    return None


def language(code: str) -> Response:
    """Switch to ``code`` and go back where the person was."""
    return i18n.switch_language(code)


@signed_in
def transmitted() -> str:
    """« Ce que le fournisseur d'identité nous a transmis »: the session's tokens, checked now."""
    auth = session.get("auth") or {}
    return render_template(
        "common/transmitted.html",
        **transmitted_data.page(
            auth, now(), issuer=setting("IDP_ISSUER"), audience=setting("CLIENT_ID")
        ),
    )


def add_shared_views(bp: Blueprint, menu: Menu) -> None:
    """Add ``/langue/<code>`` and ``/transmis`` to the site's blueprint, and give its pages the
    person signed in (``person``) and the main menu (``nav_items``): the site's ``menu``, then
    « transmis »."""
    bp.add_url_rule("/langue/<code>", view_func=language, methods=["GET"])
    bp.add_url_rule("/transmis", view_func=transmitted, methods=["GET"])

    @bp.app_context_processor
    def _navigation() -> dict[str, Any]:
        person = g.get("person")
        if person is None:
            return {"person": None, "nav_items": []}
        endpoint = request.endpoint or ""
        shown = endpoint == "site.transmitted"
        items = [
            *menu(person, endpoint),
            NavItem(i18n.t("nav_transmitted"), url_for("site.transmitted"), shown),
        ]
        return {"person": person, "nav_items": items}
