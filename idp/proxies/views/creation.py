"""A new proxy: the form (kind, agent, end date, description, rights), the review, the submit.

The draft waits in the session between the two steps, for this account and enterprise only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import AccountRole
from idp.enterprises.services import find_by_neq
from idp.errors import ConflictError, ValidationError
from idp.extensions import db
from idp.ministries.catalogue import Ministry
from idp.ministries.services import active_ministry_keys
from idp.proxies.forms import (
    GRANT_HINTS,
    KIND_HINTS,
    ConfirmForm,
    ProxyForm,
    draft_formdata,
    draft_grants,
    proxy_form,
)
from idp.proxies.models import ProxyKind
from idp.proxies.policies import ProxyChange, is_sensitive
from idp.proxies.services import as_grants, create_proxy
from idp.proxies.views.common import (
    attach,
    bp,
    current_day,
    current_enterprise_id,
    kept,
)
from idp.web.actions import attempt_sensitive, finish
from idp.web.context import (
    client_info,
    code_verified_at,
    current_account,
    roles_required,
    runtime,
)
from idp.web.i18n import page_language

DRAFT_KEY = "proxies.draft"


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
            "enterprise_id": current_enterprise_id(),
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
        outcome = attempt_sensitive(
            lambda: create_proxy(
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
            ),
            step_up_to=url_for("proxies.review"),
        )
        if isinstance(outcome, Response):
            return outcome
        if isinstance(outcome, ValidationError):
            corrected = _proxy_form(draft)
            return _render_form(corrected, general_error=attach(corrected, outcome))
        if isinstance(outcome, ConflictError):
            error = str(outcome.message)
        else:
            proxy_url = url_for("proxies.detail", proxy_id=outcome.id)
            return finish(_("The proxy was created."), proxy_url, forget=DRAFT_KEY)
    return render_template(
        "proxies/review.html",
        form=form,
        draft=draft,
        agent=find_by_neq(db.session, draft["agent_identifier"])
        if draft["agent_identifier"]
        else None,
        ends_on=date.fromisoformat(draft["ends_on"]),
        grants=draft_grants(draft),
        sensitive=is_sensitive(
            ProxyChange.creation(
                draft["kind"],
                as_grants(draft_grants(draft)),
                date.fromisoformat(draft["ends_on"]),
            )
        ),
        catalogue=runtime().catalogue,
        error=error,
    )


def _proxy_form(draft: dict[str, Any] | None) -> ProxyForm:
    enterprise_id = current_enterprise_id()
    return proxy_form(
        _active_ministries(enterprise_id),
        page_language(),
        today=current_day(),
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
    draft = kept(DRAFT_KEY)
    if not draft or draft.get("enterprise_id") != current_enterprise_id():
        return None
    return draft


def _active_ministries(enterprise_id: int) -> list[Ministry]:
    active = active_ministry_keys(db.session, enterprise_id)
    return [m for m in runtime().catalogue.ministries if m.key in active]
