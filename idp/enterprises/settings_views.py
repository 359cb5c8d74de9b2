"""« Paramètres de l'entreprise »: the authorized representative's page of the enterprise's rules
(:mod:`idp.enterprises.settings`), on the ``enterprises`` blueprint."""

from __future__ import annotations

from flask import render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import AccountRole
from idp.enterprises.forms import EnterpriseSettingsForm
from idp.enterprises.settings import set_esm_password_resets
from idp.enterprises.views import bp
from idp.extensions import db
from idp.web.actions import Refusal, attempt_sensitive, finish, not_found, refusal_message
from idp.web.context import (
    client_info,
    code_verified_at,
    current_account,
    roles_required,
    runtime,
)

# The choice typed before a step-up, kept in the browser session until it is saved.
_DRAFT_KEY = "enterprises.settings_draft"


@bp.route("/entreprise/parametres", methods=["GET", "POST"])
@roles_required(AccountRole.AUTHORIZED_REPRESENTATIVE)
def settings() -> Response | str:
    """Whether ESMs may reset one another's password; saving needs a recent emailed code."""
    actor = current_account()
    enterprise = actor.enterprise
    if enterprise is None:
        not_found()
    waiting = session.get(_DRAFT_KEY)
    current = enterprise.esm_password_resets_allowed
    form = EnterpriseSettingsForm(
        data={"esm_password_resets_allowed": waiting if isinstance(waiting, bool) else current}
    )
    error = None
    if form.validate_on_submit():
        allowed = bool(form.esm_password_resets_allowed.data)
        session[_DRAFT_KEY] = allowed
        result = attempt_sensitive(
            lambda: set_esm_password_resets(
                db.session,
                runtime(),
                actor,
                enterprise,
                allowed,
                verified_at=code_verified_at(),
                client=client_info(),
            ),
            step_up_to=url_for("enterprises.settings"),
        )
        if isinstance(result, Response):
            return result
        if not isinstance(result, Refusal):
            message = (
                _("Electronic services managers may now reset one another's password.")
                if allowed
                else _("Electronic services managers may no longer reset one another's password.")
            )
            return finish(message, url_for("enterprises.settings"), forget=_DRAFT_KEY)
        session.pop(_DRAFT_KEY, None)
        error = refusal_message(result, form)
    return render_template(
        "enterprises/settings.html",
        form=form,
        enterprise=enterprise,
        error=error,
        resumed=isinstance(waiting, bool) and request.method == "GET",
    )
