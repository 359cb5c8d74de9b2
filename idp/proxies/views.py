"""Proxies: list, add, consult, extend, cancel, assign.

Every page is for electronic services managers. A proxy is visible to the mandator's ESMs and,
for an external proxy, to the agent enterprise's ESMs; anyone else gets 404, as for a proxy
that does not exist. Drafts (a new proxy, a new end date, the people chosen) wait in the
session, so that a step-up (the emailed code) or a "Correct" loses nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NoReturn

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import Field

from idp.accounts.models import AccountRole
from idp.enterprises.services import find_by_neq
from idp.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    StepUpRequiredError,
    ValidationError,
)
from idp.extensions import db
from idp.ministries.catalogue import Ministry
from idp.ministries.services import active_ministry_keys
from idp.proxies import policies, queries
from idp.proxies.forms import (
    GRANT_HINTS,
    KIND_HINTS,
    AssignForm,
    ConfirmForm,
    EndDateForm,
    ProxyForm,
    draft_formdata,
    draft_grants,
    proxy_form,
)
from idp.proxies.models import Proxy, ProxyKind
from idp.proxies.services import (
    assign_proxy,
    cancel_proxy,
    change_end_date,
    create_proxy,
    find_proxy,
    unassign_proxy,
)
from idp.web.context import (
    client_info,
    code_verified_at,
    current_account,
    roles_required,
    runtime,
    step_up_redirect,
)

bp = Blueprint("proxies", __name__)

DRAFT_KEY = "proxies.draft"
END_DATE_KEY = "proxies.end_date"
CHOSEN_KEY = "proxies.chosen"
ASSIGNED_KEY = "proxies.assigned"


# -- list ----------------------------------------------------------------------------------------


@bp.get("/entreprise/procurations")
@roles_required(AccountRole.ESM)
def index() -> str:
    """Proxies the enterprise gave (internal and external) and proxies it received."""
    enterprise_id, today = _enterprise_id(), _today()
    return render_template(
        "proxies/index.html",
        given=queries.given_by(db.session, enterprise_id, today),
        received=queries.received_by(db.session, enterprise_id, today),
        catalogue=runtime().catalogue,
    )


# -- new proxy: form, review, submit ---------------------------------------------------------------


@bp.route("/entreprise/procurations/nouvelle", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def new() -> Response | str:
    """Step 1: kind, agent, end date, description and the rights given at each ministry."""
    draft = _draft() if request.method == "GET" and request.args.get("corriger") else None
    form = _proxy_form(draft)
    if form.validate_on_submit():
        session[DRAFT_KEY] = {
            **form.to_draft(),
            "account_id": current_account().id,
            "enterprise_id": _enterprise_id(),
        }
        return redirect(url_for("proxies.review"))
    return _render_form(form)


@bp.route("/entreprise/procurations/nouvelle/verification", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def review() -> Response | str:
    """Step 2: check the new proxy, then submit it (or go back to correct it)."""
    draft = _draft()
    if draft is None:
        return redirect(url_for("proxies.new"))
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            proxy = create_proxy(
                db.session,
                runtime(),
                current_account(),
                enterprise_id=draft["enterprise_id"],
                kind=ProxyKind(draft["kind"]),
                ends_on=date.fromisoformat(draft["ends_on"]),
                description=draft["description"],
                grants=draft_grants(draft),
                agent_identifier=draft["agent_identifier"] or None,
                verified_at=code_verified_at(),
                client=client_info(),
            )
        except StepUpRequiredError:
            db.session.rollback()
            return step_up_redirect(url_for("proxies.review"))
        except ValidationError as exc:
            db.session.rollback()
            corrected = _proxy_form(draft)
            return _render_form(corrected, general_error=_attach(corrected, exc))
        except ConflictError as exc:
            db.session.rollback()
            error = str(exc.message)
        except (ForbiddenError, NotFoundError):
            _not_found()
        else:
            db.session.commit()
            session.pop(DRAFT_KEY, None)
            flash(_("The proxy was created."), "success")
            return redirect(url_for("proxies.detail", proxy_id=proxy.id))
    return render_template(
        "proxies/review.html",
        form=form,
        draft=draft,
        agent=find_by_neq(db.session, draft["agent_identifier"])
        if draft["agent_identifier"]
        else None,
        ends_on=date.fromisoformat(draft["ends_on"]),
        grants=draft_grants(draft),
        catalogue=runtime().catalogue,
        error=error,
    )


def _proxy_form(draft: dict[str, Any] | None) -> ProxyForm:
    enterprise_id = _enterprise_id()
    return proxy_form(
        _active_ministries(enterprise_id),
        _language(),
        today=_today(),
        enterprise_id=enterprise_id,
        find_enterprise=lambda neq: find_by_neq(db.session, neq),
        formdata=draft_formdata(draft) if draft else None,
    )


def _render_form(form: ProxyForm, general_error: str | None = None) -> str:
    return render_template(
        "proxies/new.html",
        form=form,
        kind_hints=KIND_HINTS,
        grant_hints=GRANT_HINTS,
        general_error=general_error,
    )


def _draft() -> dict[str, Any] | None:
    """The new proxy waiting for review, if it belongs to this account and enterprise."""
    draft = session.get(DRAFT_KEY)
    if (
        not isinstance(draft, dict)
        or draft.get("account_id") != current_account().id
        or draft.get("enterprise_id") != _enterprise_id()
    ):
        return None
    return draft


def _active_ministries(enterprise_id: int) -> list[Ministry]:
    active = active_ministry_keys(db.session, enterprise_id)
    return [m for m in runtime().catalogue.ministries if m.key in active]


# -- one proxy -----------------------------------------------------------------------------------


@bp.get("/entreprise/procurations/<int:proxy_id>")
@roles_required(AccountRole.ESM)
def detail(proxy_id: int) -> str:
    """A proxy, its rights and its holders, with what this ESM may do with it."""
    account = current_account()
    proxy = _visible_proxy(proxy_id)
    mandator_view = policies.can_change(account, proxy)
    return render_template(
        "proxies/detail.html",
        proxy=proxy,
        state=queries.state_of(proxy, _today()),
        holders=queries.holders(
            db.session, proxy, enterprise_id=None if mandator_view else account.enterprise_id
        ),
        mandator_view=mandator_view,
        may_assign=policies.can_assign(account, proxy),
        may_unassign=policies.can_unassign(account, proxy),
        catalogue=runtime().catalogue,
        form=ConfirmForm(),
    )


@bp.route("/entreprise/procurations/<int:proxy_id>/date-de-fin", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def extend(proxy_id: int) -> Response | str:
    """Move the end date (extending an external proxy needs the emailed code)."""
    proxy = _visible_proxy(proxy_id, policies.can_change)
    today = _today()
    stored = _pending(END_DATE_KEY, proxy)
    form = EndDateForm(today=today, data={"ends_on": stored or proxy.ends_on.isoformat()})
    error = None
    in_force = proxy.is_in_force(today)
    if not in_force:
        error = _("An expired or cancelled proxy cannot be changed.")
    elif form.validate_on_submit():
        _remember(END_DATE_KEY, proxy, form.ends_on.data)
        try:
            change_end_date(
                db.session,
                runtime(),
                current_account(),
                proxy,
                form.day,
                verified_at=code_verified_at(),
                client=client_info(),
            )
        except StepUpRequiredError:
            db.session.rollback()
            return step_up_redirect(url_for("proxies.extend", proxy_id=proxy_id))
        except ValidationError as exc:
            db.session.rollback()
            error = _attach(form, exc)
        except ConflictError as exc:
            db.session.rollback()
            error = str(exc.message)
        except (ForbiddenError, NotFoundError):
            _not_found()
        else:
            db.session.commit()
            session.pop(END_DATE_KEY, None)
            flash(_("The end date was changed."), "success")
            return redirect(url_for("proxies.detail", proxy_id=proxy_id))
    return render_template(
        "proxies/extend.html", proxy=proxy, form=form, error=error, in_force=in_force
    )


@bp.route("/entreprise/procurations/<int:proxy_id>/annulation", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def cancel(proxy_id: int) -> Response | str:
    """Confirm, then cancel: the holders lose the rights at once."""
    proxy = _visible_proxy(proxy_id, policies.can_change)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            withdrawn = cancel_proxy(
                db.session, runtime(), current_account(), proxy, client=client_info()
            )
        except ConflictError as exc:
            db.session.rollback()
            error = str(exc.message)
        except (ForbiddenError, NotFoundError):
            _not_found()
        else:
            db.session.commit()
            flash(
                ngettext(
                    "The proxy was cancelled; %(num)d assignment was withdrawn.",
                    "The proxy was cancelled; %(num)d assignments were withdrawn.",
                    withdrawn,
                ),
                "success",
            )
            return redirect(url_for("proxies.detail", proxy_id=proxy_id))
    return render_template(
        "proxies/cancel.html",
        proxy=proxy,
        state=queries.state_of(proxy, _today()),
        holder_count=len(queries.holders(db.session, proxy)),
        form=form,
        error=error,
    )


# -- assignment ------------------------------------------------------------------------------------


@bp.route("/entreprise/procurations/<int:proxy_id>/attribution", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def assign(proxy_id: int) -> Response | str:
    """Step 1 of assigning: choose among the staff who hold no proxy from the mandator."""
    proxy = _visible_proxy(proxy_id, policies.can_assign)
    today = _today()
    in_force = proxy.is_in_force(today)
    candidates = queries.assignable_accounts(db.session, proxy, today) if in_force else []
    form = AssignForm(
        choices=[(a.id, a.display_name) for a in candidates],
        data={"account_ids": _pending(CHOSEN_KEY, proxy) or []},
    )
    if in_force and form.validate_on_submit():
        _remember(CHOSEN_KEY, proxy, list(form.account_ids.data or []))
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
    proxy = _visible_proxy(proxy_id, policies.can_assign)
    chosen_ids = set(_pending(CHOSEN_KEY, proxy) or [])
    chosen = [
        a for a in queries.assignable_accounts(db.session, proxy, _today()) if a.id in chosen_ids
    ]
    if not chosen:
        return redirect(url_for("proxies.assign", proxy_id=proxy_id))
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            assign_proxy(
                db.session,
                runtime(),
                current_account(),
                proxy,
                [a.id for a in chosen],
                client=client_info(),
            )
        except (ConflictError, ValidationError) as exc:
            db.session.rollback()
            error = str(exc.message)
        except (ForbiddenError, NotFoundError):
            _not_found()
        else:
            db.session.commit()
            session.pop(CHOSEN_KEY, None)
            _remember(ASSIGNED_KEY, proxy, [a.id for a in chosen])
            flash(_("The proxy was assigned."), "success")
            return redirect(url_for("proxies.assign_acknowledgement", proxy_id=proxy_id))
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
    proxy = _visible_proxy(proxy_id, policies.can_assign)
    assigned = queries.holders(db.session, proxy, account_ids=_pending(ASSIGNED_KEY, proxy) or [])
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
    try:
        assignment = queries.find_assignment(db.session, assignment_id)
        proxy_id = assignment.proxy_id
        unassign_proxy(db.session, runtime(), current_account(), assignment, client=client_info())
    except (ForbiddenError, NotFoundError):
        db.session.rollback()
        _not_found()
    db.session.commit()
    flash(_("The assignment was withdrawn."), "success")
    return redirect(url_for("proxies.detail", proxy_id=proxy_id))


# -- helpers -------------------------------------------------------------------------------------


def _visible_proxy(proxy_id: int, *checks: Any) -> Proxy:
    """The proxy, if this ESM may see it and passes ``checks``; otherwise 404."""
    account = current_account()
    try:
        proxy = find_proxy(db.session, proxy_id)
    except NotFoundError:
        _not_found()
    if not policies.can_view(account, proxy) or not all(p(account, proxy) for p in checks):
        _not_found()
    return proxy


def _pending(key: str, proxy: Proxy) -> Any:
    """A value kept in the session for this proxy and this account (see :func:`_remember`)."""
    kept = session.get(key)
    if (
        isinstance(kept, dict)
        and kept.get("proxy_id") == proxy.id
        and kept.get("account_id") == current_account().id
    ):
        return kept.get("value")
    return None


def _remember(key: str, proxy: Proxy, value: Any) -> None:
    session[key] = {"proxy_id": proxy.id, "account_id": current_account().id, "value": value}


def _attach(form: Any, error: ValidationError) -> str | None:
    """Show a service's validation error on its field; returns it when no field fits."""
    names = error.details.get("fields") or [error.details.get("field")]
    fields: list[Field] = []
    for name in names:
        if name == "grants" and isinstance(form, ProxyForm) and form.ministries:
            fields.append(form.grant_field(form.ministries[0]))
        elif name and name in form:
            fields.append(form[name])
    for field in fields:
        field.errors = [*field.errors, error.message]
    return None if fields else str(error.message)


def _enterprise_id() -> int:
    enterprise_id = current_account().enterprise_id
    if enterprise_id is None:
        abort(403)
    return enterprise_id


def _today() -> date:
    return runtime().clock().date()


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "fr"


def _not_found() -> NoReturn:
    abort(404)
