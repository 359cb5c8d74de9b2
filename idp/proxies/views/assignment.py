"""Giving a proxy to people (choose, check, acknowledge) and withdrawing it from one of them.

The people chosen, then the people assigned, wait in the session for this proxy and account.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import AccountRole
from idp.extensions import db
from idp.proxies import policies, queries
from idp.proxies.forms import AssignForm, ConfirmForm
from idp.proxies.services import assign_proxy, unassign_proxy
from idp.proxies.views.common import (
    bp,
    current_day,
    pending,
    refusal_message,
    remember,
    visible_proxy,
)
from idp.web.actions import Refusal, attempt, commit_or_404, finish
from idp.web.context import client_info, current_account, roles_required, runtime

CHOSEN_KEY = "proxies.chosen"
ASSIGNED_KEY = "proxies.assigned"


@bp.route("/entreprise/procurations/<int:proxy_id>/attribution", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def assign(proxy_id: int) -> Response | str:
    """Step 1 of assigning: choose among the staff who hold no proxy from the mandator."""
    proxy = visible_proxy(proxy_id, policies.can_assign)
    today = current_day()
    in_force = proxy.is_in_force(today)
    candidates = queries.assignable_accounts(db.session, proxy, today) if in_force else []
    form = AssignForm(
        choices=[(a.id, a.display_name) for a in candidates],
        data={"account_ids": pending(CHOSEN_KEY, proxy) or []},
    )
    if in_force and form.validate_on_submit():
        remember(CHOSEN_KEY, proxy, list(form.account_ids.data or []))
        return redirect(url_for("proxies.assign_review", proxy_id=proxy_id))
    return render_template(
        "proxies/assign.html",
        proxy=proxy,
        candidates=candidates,
        form=form,
        error=None if in_force else _("An expired or cancelled proxy cannot be assigned."),
        catalogue=runtime().catalogue,
    )


@bp.route(
    "/entreprise/procurations/<int:proxy_id>/attribution/verification", methods=["GET", "POST"]
)
@roles_required(AccountRole.ESM)
def assign_review(proxy_id: int) -> Response | str:
    """Step 2 of assigning: check the people and the rights, then assign."""
    proxy = visible_proxy(proxy_id, policies.can_assign)
    chosen_ids = set(pending(CHOSEN_KEY, proxy) or [])
    chosen = [
        a
        for a in queries.assignable_accounts(db.session, proxy, current_day())
        if a.id in chosen_ids
    ]
    if not chosen:
        return redirect(url_for("proxies.assign", proxy_id=proxy_id))
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        outcome = attempt(
            lambda: assign_proxy(
                db.session,
                runtime(),
                current_account(),
                proxy,
                [a.id for a in chosen],
                client=client_info(),
            )
        )
        if isinstance(outcome, Refusal):
            error = refusal_message(outcome)
        else:
            remember(ASSIGNED_KEY, proxy, [a.id for a in chosen])
            acknowledgement_url = url_for("proxies.assign_acknowledgement", proxy_id=proxy_id)
            return finish(_("The proxy was assigned."), acknowledgement_url, forget=CHOSEN_KEY)
    return render_template(
        "proxies/assign_review.html",
        proxy=proxy,
        chosen=chosen,
        form=form,
        error=error,
        catalogue=runtime().catalogue,
    )


@bp.get("/entreprise/procurations/<int:proxy_id>/attribution/accuse-de-reception")
@roles_required(AccountRole.ESM)
def assign_acknowledgement(proxy_id: int) -> Response | str:
    """The printable acknowledgement of the assignment just made."""
    proxy = visible_proxy(proxy_id, policies.can_assign)
    assigned = queries.holders(db.session, proxy, account_ids=pending(ASSIGNED_KEY, proxy) or [])
    if not assigned:
        return redirect(url_for("proxies.detail", proxy_id=proxy_id))
    return render_template(
        "proxies/acknowledgement.html",
        proxy=proxy,
        assigned=assigned,
        assigned_by=current_account(),
        assigned_at=max(h.assignment.assigned_at for h in assigned),
        catalogue=runtime().catalogue,
    )


@bp.post("/entreprise/procurations/attributions/<int:assignment_id>/annulation")
@roles_required(AccountRole.ESM)
def unassign(assignment_id: int) -> Response:
    """Withdraw one assignment: the holder loses the proxy's rights at once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    proxy_id = commit_or_404(lambda: _withdraw(assignment_id))
    return finish(_("The assignment was withdrawn."), url_for("proxies.detail", proxy_id=proxy_id))


def _withdraw(assignment_id: int) -> int:
    """Withdraw an assignment (the service checks who may); returns its proxy's id."""
    assignment = queries.find_assignment(db.session, assignment_id)
    proxy_id = assignment.proxy_id
    unassign_proxy(db.session, runtime(), current_account(), assignment, client=client_info())
    return proxy_id
