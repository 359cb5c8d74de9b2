"""Changing what a proxy in force gives: the form (rights by ministry, description), the review
of before and after, the submit (with the emailed code when the change is sensitive).

The change waits in the session between the two steps, for this proxy and this account only, so
that the step-up or « Correct » loses nothing.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import AccountRole
from idp.errors import ValidationError
from idp.extensions import db
from idp.ministries.services import active_ministry_keys
from idp.proxies import policies, queries
from idp.proxies.forms import (
    GRANT_HINTS,
    ConfirmForm,
    ProxyChangeForm,
    draft_formdata,
    draft_grants,
    proxy_change_form,
)
from idp.proxies.models import Proxy
from idp.proxies.policies import ProxyChange, grants_of
from idp.proxies.services import as_grants, change_proxy
from idp.proxies.views.common import (
    attach,
    bp,
    current_day,
    pending,
    refusal_message,
    remember,
    visible_proxy,
)
from idp.web.actions import Refusal, attempt_sensitive, finish
from idp.web.context import client_info, code_verified_at, current_account, roles_required, runtime
from idp.web.i18n import page_language

CHANGE_KEY = "proxies.change"


@bp.route("/entreprise/procurations/<int:proxy_id>/modification", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def change(proxy_id: int) -> Response | str:
    """Step 1: the rights at each ministry and the description, as they stand."""
    proxy = visible_proxy(proxy_id, policies.can_change)
    if not proxy.is_in_force(current_day()):
        return _not_in_force(proxy)
    correcting = request.method == "GET" and request.args.get("corriger")
    draft = pending(CHANGE_KEY, proxy) if correcting else None
    form = _form(proxy, draft or _as_draft(proxy), from_request=request.method == "POST")
    if form.validate_on_submit():
        remember(CHANGE_KEY, proxy, form.to_draft())
        return redirect(url_for("proxies.change_review", proxy_id=proxy_id))
    return _render_form(proxy, form)


@bp.route(
    "/entreprise/procurations/<int:proxy_id>/modification/verification", methods=["GET", "POST"]
)
@roles_required(AccountRole.ESM)
def change_review(proxy_id: int) -> Response | str:
    """Step 2: before and after, side by side; then submit (or go back to correct)."""
    proxy = visible_proxy(proxy_id, policies.can_change)
    draft = pending(CHANGE_KEY, proxy)
    if draft is None:
        return redirect(url_for("proxies.change", proxy_id=proxy_id))
    if not proxy.is_in_force(current_day()):
        return _not_in_force(proxy)
    grants = draft_grants(draft)
    proposed = ProxyChange(proxy.kind, grants_of(proxy), as_grants(grants))
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        outcome = attempt_sensitive(
            lambda: change_proxy(
                db.session,
                runtime(),
                current_account(),
                proxy,
                description=draft["description"],
                grants=grants,
                verified_at=code_verified_at(),
                client=client_info(),
            ),
            step_up_to=url_for("proxies.change_review", proxy_id=proxy_id),
        )
        if isinstance(outcome, Response):
            return outcome
        if isinstance(outcome, ValidationError):
            corrected = _form(proxy, draft, from_request=False)
            return _render_form(proxy, corrected, general_error=attach(corrected, outcome))
        if isinstance(outcome, Refusal):
            error = refusal_message(outcome)
        else:
            detail = url_for("proxies.detail", proxy_id=proxy_id)
            return finish(_("The proxy was changed."), detail, forget=CHANGE_KEY)
    return render_template(
        "proxies/change_review.html",
        proxy=proxy,
        form=form,
        description=draft["description"],
        grants=grants,
        sensitive=policies.is_sensitive(proposed),
        loses_rights=policies.loses_rights(proposed),
        holder_count=len(queries.holders(db.session, proxy)),
        catalogue=runtime().catalogue,
        error=error,
    )


def _as_draft(proxy: Proxy) -> dict[str, Any]:
    """The proxy as it stands, in the draft's shape, to fill the form with."""
    return {
        "description": proxy.description,
        "grants": [
            {
                "ministry": key,
                "unrestricted": rights is None,
                "rights": [] if rights is None else sorted(rights),
            }
            for key, rights in grants_of(proxy).items()
        ],
    }


def _form(proxy: Proxy, draft: dict[str, Any], *, from_request: bool) -> ProxyChangeForm:
    """The form with the request's answers, or else ``draft``'s."""
    active = active_ministry_keys(db.session, proxy.enterprise_id)
    ministries = [m for m in runtime().catalogue.ministries if m.key in active]
    formdata = None if from_request else draft_formdata(draft)
    return proxy_change_form(ministries, page_language(), formdata=formdata)


def _render_form(proxy: Proxy, form: ProxyChangeForm, general_error: str | None = None) -> str:
    return render_template(
        "proxies/change.html",
        proxy=proxy,
        form=form,
        grant_hints=GRANT_HINTS,
        general_error=general_error,
    )


def _not_in_force(proxy: Proxy) -> str:
    return render_template(
        "proxies/change.html",
        proxy=proxy,
        form=None,
        general_error=_("An expired or cancelled proxy cannot be changed."),
    )
