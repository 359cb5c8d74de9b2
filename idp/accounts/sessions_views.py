"""« Mes sessions » on both portals: the person's open sign-ins, the sites each reached, and
signing out of one of them or of all the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from idp.accounts import open_sessions as services
from idp.accounts.models import Portal
from idp.accounts.views import bp
from idp.citizens.views.common import bp as citizens_bp
from idp.errors import NotFoundError
from idp.extensions import db
from idp.federation.sites import sites_by_session
from idp.web.context import (
    citizen_login_required,
    client_info,
    login_required,
    runtime,
    signed_in_session,
)
from idp.web.i18n import page_language


class SignOutSessionForm(FlaskForm):
    """Only the CSRF token: the session is in the address, the choice is the button."""


def _routes(
    blueprint: Blueprint, portal: Portal, required: Callable[[Callable[..., Any]], Any]
) -> None:
    """The three routes on one portal's blueprint (same paths under its prefix)."""

    @blueprint.get("/compte/sessions", endpoint="sessions")
    @required
    def page() -> str:
        return _page(portal)

    @blueprint.post("/compte/sessions/<int:session_id>/deconnexion", endpoint="sign_out_session")
    @required
    def sign_out_one(session_id: int) -> Response:
        return _sign_out_one(portal, session_id)

    @blueprint.post("/compte/sessions/deconnexion-des-autres", endpoint="sign_out_others")
    @required
    def sign_out_others() -> Response:
        return _sign_out_others(portal)


def _endpoint(portal: Portal, name: str) -> str:
    return f"{'citizens' if portal is Portal.CITIZEN else 'accounts'}.{name}"


def _page(portal: Portal) -> str:
    user_session = signed_in_session()
    places = runtime().places
    rows = services.open_sessions(
        db.session,
        user_session.account,
        user_session.id,
        places=places,
        language=page_language(),
    )
    sites = sites_by_session(
        db.session, runtime().registry, [row.id for row in rows], page_language()
    )
    return render_template(
        "accounts/sessions.html",
        rows=rows,
        sites=sites,
        # Without a GeoIP database there is no place line at all, not « Lieu inconnu ».
        shows_places=places is not None,
        form=SignOutSessionForm(),
        sign_out_one=_endpoint(portal, "sign_out_session"),
        sign_out_others=_endpoint(portal, "sign_out_others"),
    )


def _sign_out_one(portal: Portal, session_id: int) -> Response:
    if not SignOutSessionForm().validate_on_submit():
        abort(400)
    user_session = signed_in_session()
    try:
        services.sign_out_session(
            db.session,
            runtime(),
            user_session.account,
            session_id,
            current_id=user_session.id,
            client=client_info(),
        )
    except NotFoundError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("That session is signed out; the sites it reached were told."), "success")
    return redirect(url_for(_endpoint(portal, "sessions")))


def _sign_out_others(portal: Portal) -> Response:
    if not SignOutSessionForm().validate_on_submit():
        abort(400)
    user_session = signed_in_session()
    services.sign_out_others(
        db.session,
        runtime(),
        user_session.account,
        current_id=user_session.id,
        client=client_info(),
    )
    db.session.commit()
    flash(_("Your other sessions are signed out."), "success")
    return redirect(url_for(_endpoint(portal, "sessions")))


_routes(bp, Portal.ENTERPRISE, login_required)
_routes(citizens_bp, Portal.CITIZEN, citizen_login_required)
