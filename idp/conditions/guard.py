"""The conditions of use between a signed-in person and everything else.

While a person has not accepted the version in force of their portal, the signed-in pages send
them to the conditions page (:func:`redirect_if_pending`, called by the ``login_required``
decorators) and the OIDC and SAML endpoints refuse to answer a relying party for them
(:func:`declined_just_now`). Only the conditions page, sign-out, the forced password change,
the help page and the static files stay open.
"""

from __future__ import annotations

from flask import current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from idp.accounts.models import Account, Portal
from idp.conditions import services
from idp.conditions.documents import ConditionsVersion
from idp.extensions import db
from idp.runtime import Runtime
from idp.web.i18n import return_address

# The session key of a « Je refuse »: the relying party waiting for the person is told no.
DECLINED_KEY = "conditions_declined"
NEXT_KEY = "next"
# Signed-in pages open while the conditions wait (help and static files need no sign-in).
OPEN_ENDPOINTS = frozenset(
    {
        "conditions.enterprise",
        "conditions.citizen",
        "accounts.logout",
        "accounts.change_password",
    }
)


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["idp.runtime"]
    return runtime


def pending_version(account: Account) -> ConditionsVersion | None:
    """The version this person must still accept, once per request (g caches it)."""
    cache: dict[int, ConditionsVersion | None] = g.setdefault("conditions_pending", {})
    if account.id not in cache:
        cache[account.id] = services.version_to_accept(db.session, _runtime(), account)
    return cache[account.id]


def conditions_url(portal: Portal) -> str:
    return url_for("conditions.citizen" if portal is Portal.CITIZEN else "conditions.enterprise")


def send_to_conditions(account: Account, come_back_to: str | None) -> Response:
    """To the conditions page, then back to ``come_back_to`` once accepted."""
    if come_back_to:
        session[NEXT_KEY] = come_back_to
    return redirect(conditions_url(account.portal))


def redirect_if_pending(account: Account) -> Response | None:
    """For a guarded page: the way to the conditions page while they wait, else None."""
    if request.endpoint in OPEN_ENDPOINTS or pending_version(account) is None:
        return None
    # Coming back to a page read with GET is harmless; a form posted here is not replayed.
    here = return_address() if request.method == "GET" else None
    return send_to_conditions(account, here)


def declined_just_now(version: ConditionsVersion) -> bool:
    """The person pressed « Je refuse » on ``version`` on the way here; asked once: the next
    request from a relying party shows the conditions again."""
    return session.pop(DECLINED_KEY, None) == version.label


def remember_decline(version: ConditionsVersion) -> None:
    session[DECLINED_KEY] = version.label


def forget_decline() -> None:
    session.pop(DECLINED_KEY, None)
