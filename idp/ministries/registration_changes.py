"""Ending a registration: the ministry withdraws it, or the enterprise cancels it.

Both take the enterprise's rights at the ministry away at once (see
:func:`idp.ministries.services.withdraw_registration`); either side may then ask again.
"""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import AccountRole
from idp.extensions import db
from idp.ministries import policies
from idp.ministries.forms import CancellationForm, WithdrawalForm
from idp.ministries.queries import registration_for_ministry, registration_of
from idp.ministries.services import cancel_registration, withdraw_registration
from idp.ministries.views import _enterprise_id, _operator_ministry, bp
from idp.web.actions import Refusal, attempt, attempt_sensitive, finish, not_found, refusal_message
from idp.web.context import client_info, code_verified_at, current_account, roles_required, runtime
from idp.web.names import name_de


@bp.route("/ministere/inscriptions/<int:registration_id>/retrait", methods=["GET", "POST"])
@roles_required(AccountRole.MINISTRY_OPERATOR)
def withdraw(registration_id: int) -> Response | str:
    """The operator withdraws one of the ministry's active registrations, with a reason."""
    account = current_account()
    ministry = _operator_ministry(account)
    # Another ministry's registration is not found, so nothing about it leaks.
    registration = registration_for_ministry(db.session, ministry.key, registration_id)
    if registration is None:
        not_found()
    form = WithdrawalForm()
    error = None
    if not policies.can_withdraw(account, registration):
        error = _("Only an active registration can be withdrawn.")
    elif form.validate_on_submit():
        of_enterprise = name_de(registration.enterprise)
        result = attempt(
            lambda: withdraw_registration(
                db.session,
                runtime(),
                account,
                registration,
                reason=form.reason.data or "",
                client=client_info(),
            )
        )
        if not isinstance(result, Refusal):
            return finish(
                _(
                    "The registration %(of_enterprise)s was withdrawn.",
                    of_enterprise=of_enterprise,
                ),
                url_for("ministries.operator_queue"),
            )
        error = refusal_message(result, form)
    return render_template(
        "ministries/withdraw.html",
        ministry=ministry,
        registration=registration,
        form=form,
        error=error,
        may_withdraw=policies.can_withdraw(account, registration),
    )


@bp.route("/entreprise/services/<ministry_key>/annulation", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def cancel(ministry_key: str) -> Response | str:
    """The ESM ends the enterprise's registration at a ministry (step-up: the emailed code)."""
    account = current_account()
    ministry = runtime().catalogue.ministry(ministry_key)
    registration = registration_of(db.session, _enterprise_id(account), ministry_key)
    if ministry is None or registration is None:
        not_found()
    form = CancellationForm()
    error = None
    if not policies.can_cancel(account, registration):
        error = _("This registration is not active or in process.")
    elif form.validate_on_submit():
        here = url_for("ministries.cancel", ministry_key=ministry_key)
        result = attempt_sensitive(
            lambda: cancel_registration(
                db.session,
                runtime(),
                account,
                registration,
                verified_at=code_verified_at(),
                client=client_info(),
            ),
            step_up_to=here,
        )
        if isinstance(result, Response):
            return result
        if not isinstance(result, Refusal):
            return finish(
                _(
                    "Your registration for the online services %(of_ministry)s is cancelled. "
                    "You may ask for it again at any time.",
                    of_ministry=name_de(ministry),
                ),
                url_for("ministries.index"),
            )
        error = refusal_message(result)
    return render_template(
        "ministries/cancel.html",
        ministry=ministry,
        registration=registration,
        form=form,
        error=error,
        may_cancel=policies.can_cancel(account, registration),
    )
