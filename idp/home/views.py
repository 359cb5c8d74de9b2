"""The home page of a signed-in person, and the pages a public service owes everyone: help with
signing in, the accessibility statement and the privacy notice.

The three public pages answer at two addresses, the enterprise portal's and the citizens'
(under ``/citoyens/``): the header, the footer and the styles stay those of the portal the person
came from (:func:`idp.web.navigation.page_portal` reads the path). Their content is the same.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from idp.accounts.forms import SignOutForm
from idp.accounts.models import Portal
from idp.home.facts import help_facts, privacy_facts, support_contact
from idp.web.context import login_required, runtime, signed_in_session

bp = Blueprint("home", __name__)

# The pages for a forgotten password or user code, when this build has them (they are linked
# only if they answer; otherwise the help page names them in plain text).
FORGOTTEN_PAGES = {
    "enterprise_password": "/connexion/mot-de-passe-oublie",
    "enterprise_user_code": "/connexion/code-utilisateur-oublie",
    "citizen_password": "/citoyens/connexion/mot-de-passe-oublie",
    "citizen_user_code": "/citoyens/connexion/code-utilisateur-oublie",
}


@bp.get("/")
@login_required
def index() -> str:
    """Who is signed in, for which enterprise, and when the previous access was."""
    user_session = signed_in_session()
    return render_template(
        "home/index.html",
        account=user_session.account,
        enterprise=user_session.account.enterprise,
        ministry=runtime().catalogue.ministry(user_session.account.ministry_key or ""),
        previous_sign_in_at=user_session.previous_sign_in_at,
        public_computer=user_session.public_computer,
        public_idle_minutes=runtime().settings.session_public_idle_timeout_seconds // 60,
        sign_out_form=SignOutForm(),
    )


def public_page(path: str) -> Callable[[Callable[[str], str]], Callable[[str], str]]:
    """Serve the view at ``path`` and at ``/citoyens`` + ``path``; ``portal`` tells it which.
    ``url_for(endpoint)`` builds the first, ``url_for(endpoint, portal="citizen")`` the second."""

    def register(view: Callable[[str], str]) -> Callable[[str], str]:
        for prefix, portal in (("", Portal.ENTERPRISE), ("/citoyens", Portal.CITIZEN)):
            bp.add_url_rule(
                prefix + path, view_func=view, methods=["GET"], defaults={"portal": str(portal)}
            )
        return view

    return register


@public_page("/aide")
def help(portal: str) -> str:  # noqa: A001 (the endpoint's name in url_for)
    """Signing in, the delays, the lock and the codes, who unlocks an account, whom to call: the
    page the sign-in pages point to when a person must wait. Numbers and durations come from
    the settings."""
    return render_template(
        "home/help.html",
        facts=help_facts(runtime().settings),
        support=support_contact(runtime().settings),
        forgotten={name: _page_if_served(path) for name, path in FORGOTTEN_PAGES.items()},
    )


@public_page("/accessibilite")
def accessibility(portal: str) -> str:
    """The accessibility statement: the standard aimed at, how it is checked, how to report a
    barrier."""
    return render_template("home/accessibility.html", support=support_contact(runtime().settings))


@public_page("/confidentialite")
def privacy(portal: str) -> str:
    """The privacy notice: what is kept, for how long, who sees it, the person's rights."""
    settings = runtime().settings
    return render_template(
        "home/privacy.html", facts=privacy_facts(settings), support=support_contact(settings)
    )


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says: the SVG the layout names."""
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)


def _page_if_served(path: str) -> str | None:
    """``path`` (under the application's root) if a GET there reaches a view, else None."""
    adapter = current_app.url_map.bind("localhost", script_name=request.script_root or "/")
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return None
    return request.script_root + path
