"""The proxies as they stand: the list, one proxy, and its changes (end date, cancellation)."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from idp.accounts.models import AccountRole
from idp.extensions import db
from idp.proxies import policies, queries
from idp.proxies.forms import ConfirmForm, EndDateForm
from idp.proxies.services import cancel_proxy, change_end_date
from idp.proxies.views.common import (
    bp,
    current_day,
    current_enterprise_id,
    pending,
    refusal_message,
    remember,
    visible_proxy,
)
from idp.web.actions import Refusal, attempt, attempt_sensitive, finish
from idp.web.context import (
    client_info,
    code_verified_at,
    current_account,
    roles_required,
    runtime,
)

END_DATE_KEY = "proxies.end_date"


@bp.get("/entreprise/procurations")
@roles_required(AccountRole.ESM)
def index() -> str:
    """Proxies the enterprise gave (internal and external) and proxies it received."""
    enterprise_id, today = current_enterprise_id(), current_day()
    return render_template(
        "proxies/index.html",
        given=queries.given_by(db.session, enterprise_id, today),
        received=queries.received_by(db.session, enterprise_id, today),
        catalogue=runtime().catalogue,
    )


@bp.get("/entreprise/procurations/<int:proxy_id>")
@roles_required(AccountRole.ESM)
def detail(proxy_id: int) -> str:
    """A proxy, its rights and its holders, with what this ESM may do with it."""
    account = current_account()
    proxy = visible_proxy(proxy_id)
    mandator_view = policies.can_change(account, proxy)
    return render_template(
        "proxies/detail.html",
        proxy=proxy,
        state=queries.state_of(proxy, current_day()),
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
    proxy = visible_proxy(proxy_id, policies.can_change)
    today = current_day()
    stored = pending(END_DATE_KEY, proxy)
    form = EndDateForm(today=today, data={"ends_on": stored or proxy.ends_on.isoformat()})
    error = None
    in_force = proxy.is_in_force(today)
    if not in_force:
        error = _("An expired or cancelled proxy cannot be changed.")
    elif form.validate_on_submit():
        remember(END_DATE_KEY, proxy, form.ends_on.data)
        outcome = attempt_sensitive(
            lambda: change_end_date(
                db.session,
                runtime(),
                current_account(),
                proxy,
                form.day,
                verified_at=code_verified_at(),
                client=client_info(),
            ),
            step_up_to=url_for("proxies.extend", proxy_id=proxy_id),
        )
        if isinstance(outcome, Response):
            return outcome
        if isinstance(outcome, Refusal):
            error = refusal_message(outcome, form)
        else:
            proxy_url = url_for("proxies.detail", proxy_id=proxy_id)
            return finish(_("The end date was changed."), proxy_url, forget=END_DATE_KEY)
    rights = policies.grants_of(proxy)
    longer = policies.ProxyChange(
        proxy.kind, rights, rights, proxy.ends_on, proxy.ends_on + timedelta(days=1)
    )
    return render_template(
        "proxies/extend.html",
        proxy=proxy,
        form=form,
        error=error,
        in_force=in_force,
        longer_is_sensitive=policies.is_sensitive(longer),
    )


@bp.route("/entreprise/procurations/<int:proxy_id>/annulation", methods=["GET", "POST"])
@roles_required(AccountRole.ESM)
def cancel(proxy_id: int) -> Response | str:
    """Confirm, then cancel: the holders lose the rights at once."""
    proxy = visible_proxy(proxy_id, policies.can_change)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        withdrawn = attempt(
            lambda: cancel_proxy(
                db.session, runtime(), current_account(), proxy, client=client_info()
            )
        )
        if isinstance(withdrawn, Refusal):
            error = refusal_message(withdrawn)
        else:
            message = ngettext(
                "The proxy was cancelled; %(num)d assignment was withdrawn.",
                "The proxy was cancelled; %(num)d assignments were withdrawn.",
                withdrawn,
            )
            return finish(message, url_for("proxies.detail", proxy_id=proxy_id))
    return render_template(
        "proxies/cancel.html",
        proxy=proxy,
        state=queries.state_of(proxy, current_day()),
        holder_count=len(queries.holders(db.session, proxy)),
        form=form,
        error=error,
    )
