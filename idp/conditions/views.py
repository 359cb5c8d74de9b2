"""The conditions page of each portal: read the version in force, accept or decline it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, session
from werkzeug.wrappers import Response

from idp.conditions import services
from idp.conditions.forms import ACCEPT, DECLINE, ConditionsForm
from idp.conditions.guard import (
    NEXT_KEY,
    conditions_url,
    forget_decline,
    remember_decline,
)
from idp.extensions import db
from idp.oidc.views.common import AUTHORIZE_PATH
from idp.saml.provider import SSO_PATH
from idp.web.context import (
    citizen_login_required,
    client_info,
    current_account,
    home_url,
    login_required,
    runtime,
)
from idp.web.i18n import page_language, safe_next

bp = Blueprint("conditions", __name__)


@bp.route("/conditions", methods=["GET", "POST"], endpoint="enterprise")
@login_required
def enterprise_conditions() -> Response | str:
    """The conditions of use of clicSÉQUR – Entreprises."""
    return _conditions_page()


@bp.route("/citoyens/conditions", methods=["GET", "POST"], endpoint="citizen")
@citizen_login_required
def citizen_conditions() -> Response | str:
    """The conditions of use of clicSÉQUR – Citoyens."""
    return _conditions_page()


def _conditions_page() -> Response | str:
    account = current_account()
    rt = runtime()
    version = rt.conditions.in_force(account.portal)
    form = ConditionsForm()
    answered = form.validate_on_submit()
    if answered and form.decision == ACCEPT:
        services.accept(db.session, rt, account, version, client=client_info())
        db.session.commit()
        forget_decline()
        return redirect(safe_next(session.pop(NEXT_KEY, None), home_url(account)))
    if answered and form.decision == DECLINE:
        services.decline(db.session, rt, account, version, client=client_info())
        db.session.commit()
        remember_decline(version)
        waiting = safe_next(session.pop(NEXT_KEY, None), "")
        if _is_relying_party_request(waiting):
            # The service the person was going to is told they declined (access_denied, or a
            # SAML RequestDenied), by the endpoint that holds its request.
            return redirect(waiting)
        return render_template(
            "conditions/declined.html",
            conditions_url=conditions_url(account.portal),
        )
    acceptance = services.find_acceptance(db.session, account, version)
    return render_template(
        "conditions/page.html",
        form=form,
        version=version,
        text=version.html_in(page_language()),
        acceptance=acceptance,
        changed=acceptance is None and bool(services.accepted_versions(db.session, account)),
        home=home_url(account),
    )


def _is_relying_party_request(path: str) -> bool:
    return path.startswith((f"{AUTHORIZE_PATH}?", f"{SSO_PATH}/"))
