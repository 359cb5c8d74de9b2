"""The « connected services » page: what each ministry receives, and withdrawing it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from idp.consents.services import consents_of, withdraw_consent
from idp.errors import NotFoundError
from idp.extensions import db
from idp.web.context import client_info, current_account, login_required, runtime
from idp.web.i18n import page_language
from idp.web.names import name_le

bp = Blueprint("consents", __name__)

STANDARD_SCOPE_LABELS = {
    "openid": _l("An identifier of you that only this ministry's services know"),
    "profile": _l("Your name"),
    "email": _l("Your email address"),
    "enterprise": _l("The enterprise you act for, and your role there"),
    "offline_access": _l("Staying connected while you use the service"),
}


class WithdrawForm(FlaskForm):
    """Only the CSRF token."""


def scope_label(scope: str, language: str) -> str:
    if scope in STANDARD_SCOPE_LABELS:
        return str(STANDARD_SCOPE_LABELS[scope])
    right = runtime().catalogue.right(scope)
    return right.label(language) if right else scope


@bp.get("/services-connectes")
@login_required
def index() -> str:
    """Every ministry the person agreed to share information with, and what."""
    language = page_language()
    catalogue = runtime().catalogue
    rows = [
        {
            "consent": consent,
            "ministry": catalogue.ministry(consent.ministry_key),
            "shared": [scope_label(scope, language) for scope in consent.scopes],
        }
        for consent in consents_of(db.session, current_account().id)
    ]
    return render_template("consents/index.html", rows=rows, form=WithdrawForm(), language=language)


@bp.post("/services-connectes/<int:consent_id>/retrait")
@login_required
def withdraw(consent_id: int) -> Response:
    """Withdraw a consent: that ministry's services will ask again at the next visit."""
    if not WithdrawForm().validate_on_submit():
        abort(400)
    try:
        ministry_key = withdraw_consent(
            db.session, runtime(), current_account().id, consent_id, client=client_info()
        )
    except NotFoundError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    ministry = runtime().catalogue.ministry(ministry_key)
    name = name_le(ministry or ministry_key)
    flash(
        _("Consent withdrawn: %(ministry)s will ask again at your next visit.", ministry=name),
        "success",
    )
    return redirect(url_for("consents.index"))
