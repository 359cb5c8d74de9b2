"""The provider operator console (« Exploitation »): applications to decide, enterprises, and the
decisions on them. Only for provider operators; anyone else gets the 403 page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import AccountRole
from idp.enterprises import lifecycle
from idp.enterprises.lifecycle import Decision
from idp.enterprises.lifecycle_policy import RULES, Transition, allowed_transitions
from idp.enterprises.models import EnterpriseStatus
from idp.enterprises.onboarding_forms import (
    CancelDecisionForm,
    ConfirmDecisionForm,
    ReasonDecisionForm,
    legal_form_label,
)
from idp.enterprises.services import normalize_neq
from idp.errors import ValidationError
from idp.extensions import db
from idp.mailbox.notices import esms_of
from idp.names import capfirst
from idp.web.actions import Refusal, attempt_sensitive, commit_or_404, finish, refusal_message
from idp.web.context import client_info, code_verified_at, current_account, roles_required, runtime
from idp.web.names import name_de, name_le

bp = Blueprint("console", __name__)

DRAFT_KEY = "console_decision"
_OPERATOR = AccountRole.PROVIDER_OPERATOR

_DONE = {
    Transition.REFUSE: lambda enterprise: _(
        "The registration %(of_enterprise)s was refused.", of_enterprise=name_de(enterprise)
    ),
    Transition.SUSPEND: lambda enterprise: _(
        "%(name)s is suspended.", name=capfirst(name_le(enterprise))
    ),
    Transition.REACTIVATE: lambda enterprise: _(
        "%(name)s is reactivated.", name=capfirst(name_le(enterprise))
    ),
    Transition.CANCEL: lambda enterprise: _(
        "The registration %(of_enterprise)s is cancelled.", of_enterprise=name_de(enterprise)
    ),
}


@bp.get("/exploitation/demandes")
@roles_required(_OPERATOR)
def queue() -> str:
    """The applications waiting for a decision, oldest first."""
    return render_template(
        "console/queue.html",
        applications=lifecycle.pending_applications(db.session),
        legal_form_label=legal_form_label,
    )


@bp.get("/exploitation/entreprises")
@roles_required(_OPERATOR)
def enterprises() -> str:
    """Enterprises by name, of one status or with one NEQ."""
    status = request.args.get("statut", "")
    status = status if status in set(EnterpriseStatus) else ""
    raw_neq = request.args.get("neq", "")[:20]
    neq, error = None, None
    if raw_neq.strip():
        try:
            neq = normalize_neq(raw_neq)
        except ValidationError as exc:
            error = str(exc.message)
    rows = [] if error else lifecycle.enterprises_by_status(db.session, status or None, neq)
    return render_template(
        "console/enterprises.html",
        enterprises=rows,
        status=status,
        neq=raw_neq,
        error=error,
        statuses=list(EnterpriseStatus),
    )


@bp.get("/exploitation/entreprises/<int:enterprise_id>")
@roles_required(_OPERATOR)
def enterprise(enterprise_id: int) -> str:
    """One enterprise: its facts, status, applications, people, and the decisions open on it."""
    found = commit_or_404(lambda: lifecycle.find_enterprise(db.session, enterprise_id))
    return render_template(
        "console/enterprise.html",
        enterprise=found,
        applications=lifecycle.applications_of(db.session, found.id),
        representatives=lifecycle.representatives_of(db.session, found.id),
        esms=esms_of(db.session, found.id),
        transitions=allowed_transitions(found.status),
        legal_form_label=legal_form_label,
    )


@bp.route("/exploitation/entreprises/<int:enterprise_id>/<action>", methods=["GET", "POST"])
@roles_required(_OPERATOR)
def decide(enterprise_id: int, action: str) -> Response | str:
    """Confirm a decision (with its reason when one is needed), then take it."""
    if action not in set(Transition):
        abort(404)
    transition = Transition(action)
    found = commit_or_404(lambda: lifecycle.find_enterprise(db.session, enterprise_id))
    form = _form(transition, enterprise_id)
    error = None
    if transition not in allowed_transitions(found.status):
        error = _("This decision cannot be taken: the enterprise's status changed in the meantime.")
    elif form.validate_on_submit():
        reason = (form.reason.data or "") if hasattr(form, "reason") else ""
        here = url_for("console.decide", enterprise_id=enterprise_id, action=action)
        # Kept across the emailed-code step, so the reason typed is not lost.
        session[DRAFT_KEY] = {"enterprise_id": enterprise_id, "action": action, "reason": reason}
        result = attempt_sensitive(
            lambda: lifecycle.decide(
                db.session,
                runtime(),
                current_account(),
                enterprise_id,
                transition,
                reason=reason,
                verified_at=code_verified_at(),
                client=client_info(),
            ),
            step_up_to=here,
        )
        if isinstance(result, Response):
            return result
        if isinstance(result, Decision):
            return _after(transition, result)
        assert isinstance(result, Refusal)  # noqa: S101 (the remaining case)
        error = refusal_message(result, form)
    return render_template(
        "console/decide.html",
        enterprise=found,
        transition=transition,
        rule=RULES[transition],
        form=form,
        error=error,
    )


@bp.get("/exploitation/accuse")
@roles_required(_OPERATOR)
def acknowledgement() -> str:
    """Where a reloaded acknowledgement lands: the temporary password is never shown again."""
    return render_template("console/acknowledgement.html", ack=None)


def _form(transition: Transition, enterprise_id: int) -> Any:
    draft = session.get(DRAFT_KEY)
    data = None
    if (
        request.method == "GET"
        and isinstance(draft, dict)
        and draft.get("enterprise_id") == enterprise_id
        and draft.get("action") == transition
    ):
        data = {"reason": draft.get("reason", "")}
    if transition == Transition.CANCEL:
        return CancelDecisionForm(data=data)
    if RULES[transition].needs_reason:
        return ReasonDecisionForm(data=data)
    return ConfirmDecisionForm()


def _after(transition: Transition, decision: Decision) -> Response | str:
    session.pop(DRAFT_KEY, None)
    enterprise = decision.enterprise
    if decision.representative is not None:
        # As the answer to the POST itself: the temporary password exists in clear only in
        # this one response (no-store), never in the session, the database or a later page.
        new = decision.representative
        return render_template(
            "console/acknowledgement.html",
            ack={
                "enterprise": enterprise,
                "name": new.account.display_name,
                "email": new.account.email,
                "telephone": new.account.telephone,
                "user_code": new.account.user_code,
                "temporary_password": new.temporary_password,
                "emailed": decision.emailed,
            },
            issued_at=runtime().clock(),
            sign_in_url=url_for("accounts.login", _external=True),
        )
    message = _DONE[transition](enterprise)
    return finish(message, url_for("console.enterprise", enterprise_id=enterprise.id))
