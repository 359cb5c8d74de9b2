"""Registration for ministries' online services and the operators' decisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import Account, AccountRole
from idp.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from idp.extensions import db
from idp.ministries import policies
from idp.ministries.catalogue import Ministry
from idp.ministries.forms import DecisionForm, RegistrationForm, registration_form
from idp.ministries.models import MinistryRegistration, RegistrationStatus
from idp.ministries.queries import (
    active_for_ministry,
    pending_for_ministry,
    recent_decisions,
    registration_for_ministry,
    registration_of,
    registrations_by_ministry,
)
from idp.ministries.services import decide_registration, submit_registration
from idp.web.context import client_info, current_account, roles_required, runtime
from idp.web.i18n import page_language
from idp.web.names import name_a, name_de

bp = Blueprint("ministries", __name__)


def _enterprise_id(account: Account) -> int:
    # Every ESM belongs to an enterprise (a database constraint); this only narrows the type.
    if account.enterprise_id is None:
        abort(403)
    return account.enterprise_id


def _operator_ministry(account: Account) -> Ministry:
    ministry = runtime().catalogue.ministry(account.ministry_key or "")
    if ministry is None:  # a ministry removed from the catalogue: nothing to decide
        abort(403)
    return ministry


@bp.get("/entreprise/services")
@roles_required(AccountRole.ESM)
def index() -> str:
    """Every ministry of the catalogue and where the enterprise stands with it."""
    account = current_account()
    return render_template(
        "ministries/index.html",
        ministries=runtime().catalogue.ministries,
        registrations=registrations_by_ministry(db.session, _enterprise_id(account)),
        enterprise=account.enterprise,
        enterprise_may_register=policies.enterprise_may_register(account.enterprise),
    )


@bp.route("/entreprise/services/<ministry_key>/inscription", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def register(ministry_key: str) -> Response | str:
    """Answer the ministry's questions to ask for access to its online services."""
    account = current_account()
    enterprise_id = _enterprise_id(account)
    ministry = runtime().catalogue.ministry(ministry_key)
    if ministry is None:
        abort(404)
    registration = registration_of(db.session, enterprise_id, ministry_key)
    form = registration_form(ministry, page_language())
    error = None
    if form.validate_on_submit():
        try:
            submit_registration(
                db.session,
                runtime(),
                account,
                enterprise_id=enterprise_id,
                ministry_key=ministry_key,
                answers=form.answers(),
                client=client_info(),
            )
        except (ForbiddenError, NotFoundError):
            db.session.rollback()
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            _show_answer_errors(form, exc)
        except ConflictError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            flash(
                _(
                    "Your request was sent %(to_ministry)s. The registration is “In process” "
                    "until the ministry decides; you will find its decision in your messages.",
                    to_ministry=name_a(ministry),
                ),
                "success",
            )
            return redirect(url_for("ministries.index"))
    return render_template(
        "ministries/register.html",
        ministry=ministry,
        form=form,
        error=error,
        registration=registration,
        can_submit=policies.can_submit(registration),
        enterprise_may_register=policies.enterprise_may_register(account.enterprise),
    )


def _show_answer_errors(form: RegistrationForm, exc: ValidationError) -> None:
    """Put the service's message on each question it names, or on all of them."""
    keys = exc.details.get("fields") or form.question_keys
    for key in keys:
        if key in form.question_keys:
            field = form.answer_field(key)
            field.errors = [*field.errors, str(exc.message)]


@bp.get("/ministere/inscriptions")
@roles_required(AccountRole.MINISTRY_OPERATOR)
def operator_queue() -> str:
    """The registrations waiting for the operator's ministry, and its latest decisions."""
    return _render_queue(_operator_ministry(current_account()))


@bp.post("/ministere/inscriptions/<int:registration_id>/decision")
@roles_required(AccountRole.MINISTRY_OPERATOR)
def decide(registration_id: int) -> Response | str:
    """Activate or refuse one registration addressed to the operator's ministry."""
    account = current_account()
    ministry = _operator_ministry(account)
    # Another ministry's registration is not found, so nothing about it leaks.
    registration = registration_for_ministry(db.session, ministry.key, registration_id)
    if registration is None:
        abort(404)
    form = DecisionForm.for_registration(registration_id)
    error = None
    if form.validate_on_submit():
        try:
            decide_registration(
                db.session,
                runtime(),
                account,
                registration,
                activate=form.activate,
                reason=form.reason.data or "",
                client=client_info(),
            )
        except (ForbiddenError, NotFoundError):
            db.session.rollback()
            abort(404)
        except ConflictError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(url_for("ministries.operator_queue"))
        except ValidationError as exc:
            db.session.rollback()
            field = getattr(form, str(exc.details.get("field", "reason")))
            field.errors = [*field.errors, str(exc.message)]
        else:
            db.session.commit()
            of_enterprise = name_de(registration.enterprise)
            if form.activate:
                flash(
                    _("The registration %(of_enterprise)s is active.", of_enterprise=of_enterprise),
                    "success",
                )
            else:
                flash(
                    _(
                        "The registration %(of_enterprise)s was refused.",
                        of_enterprise=of_enterprise,
                    ),
                    "success",
                )
            return redirect(url_for("ministries.operator_queue"))
    elif registration.status != RegistrationStatus.PENDING:
        error = _("This registration was already decided.")
    return _render_queue(ministry, failed=(registration, form), error=error)


def _render_queue(
    ministry: Ministry,
    *,
    failed: tuple[MinistryRegistration, DecisionForm] | None = None,
    error: str | None = None,
) -> str:
    pending = pending_for_ministry(db.session, ministry.key)
    forms: dict[int, Any] = {
        registration.id: DecisionForm.for_registration(registration.id, formdata=None)
        for registration in pending
    }
    if failed is not None and failed[0].id in forms:
        forms[failed[0].id] = failed[1]
    return render_template(
        "ministries/operator_queue.html",
        ministry=ministry,
        pending=pending,
        decision_forms=forms,
        failed_form=failed[1] if failed else None,
        decisions=recent_decisions(db.session, ministry.key),
        active=active_for_ministry(db.session, ministry.key),
        error=error,
    )
