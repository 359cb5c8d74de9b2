"""Passkey pages: « Mes clés d'accès » on both portals (add, with the emailed code first; list;
remove), the passkey after the password, the passkey alone (no user code typed), and the
passkey step a relying party requiring one sends a code-only session to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from idp.accounts.models import Account, Portal, SessionStage, UserSession
from idp.accounts.sessions import (
    AMR_PASSKEY,
    AMR_PASSWORD_AND_PASSKEY,
    authenticate_session,
    start_pending_session,
)
from idp.accounts.views import bp as accounts_bp
from idp.accounts.views import replace_previous_session
from idp.citizens.views.common import bp as citizens_bp
from idp.extensions import db, limiter
from idp.mail.messages import account_message, send_notice
from idp.mfa.step_up import is_recent
from idp.mfa.views import complete_sign_in
from idp.passkeys import services
from idp.passkeys.services import PasskeyRefusedError
from idp.web.actions import Refusal, attempt_sensitive, finish
from idp.web.context import (
    any_login_required,
    citizen_login_required,
    client_info,
    code_verified_at,
    current_session,
    home_url,
    login_required,
    runtime,
    sign_in_url,
    signed_in_session,
)
from idp.web.i18n import safe_next
from idp.web.session_loader import set_session_token

bp = Blueprint("passkeys", __name__)

# A browser's answer is a few hundred bytes; more is not an answer.
ANSWER_MAX = 16_000


class PasskeyAnswerForm(FlaskForm):
    """The authenticator's answer, put in by passkeys.js."""

    credential = HiddenField(validators=[DataRequired(), Length(max=ANSWER_MAX)])


class AddPasskeyForm(PasskeyAnswerForm):
    name = StringField(
        _l("Name of the passkey"),
        description=_l("To tell your passkeys apart, for example « Téléphone » or « Clé USB »."),
        validators=[
            DataRequired(_l("Name the passkey, for example « Téléphone ».")),
            Length(max=services.NAME_MAX),
        ],
    )


class RemovePasskeyForm(FlaskForm):
    """Only the CSRF token: the passkey is in the address."""


# -- signing in ----------------------------------------------------------------------------------


def sign_in_ceremony(account: Account) -> services.Ceremony | None:
    """The passkey offered first on the code page, when the account has one (committed: the
    challenge must outlive this request)."""
    if not services.has_passkey(db.session, account.id):
        return None
    ceremony = services.start_sign_in(db.session, runtime(), account)
    db.session.commit()
    return ceremony


@bp.app_template_global()
def passkey_return_address() -> str:
    """Where a passkey sign-in from this page goes back to: the page's own ``next`` if it is a
    safe address of this site (bounded, never echoed as given), else nowhere in particular."""
    return safe_next(request.args.get("next"), "")


@bp.post("/connexion/cle-d-acces/options")
@limiter.limit("30/minute")
def passkey_only_options() -> Response:
    """The passkey alone, offered on the sign-in pages: its challenge is made when the button is
    pressed (passkeys.js asks here), not for every view of the page."""
    ceremony = services.start_sign_in(db.session, runtime(), None)
    db.session.commit()
    response = Response(ceremony.options_json, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/connexion/cle-d-acces")
@limiter.limit("30/minute")
def sign_in() -> Response:
    """After the password: the passkey instead of the emailed code."""
    user_session = current_session()
    if user_session is None or user_session.stage != SessionStage.PENDING_CODE:
        flash(_("Your sign-in has expired. Please start again."), "info")
        return redirect(url_for("accounts.login"))
    form = PasskeyAnswerForm()
    if not form.validate_on_submit():
        abort(400)
    rt = runtime()
    try:
        services.prove_sign_in(
            db.session,
            rt,
            form.credential.data or "",
            account=user_session.account,
            client=client_info(),
        )
    except PasskeyRefusedError as refused:
        db.session.commit()  # the challenge is spent, the refusal audited
        flash(str(refused.message), "error")
        return redirect(url_for("mfa.verify"))
    token = authenticate_session(db.session, rt, user_session, amr=AMR_PASSWORD_AND_PASSKEY)
    return complete_sign_in(user_session, token)


@bp.post("/connexion/cle-d-acces/sans-code")
@limiter.limit("30/minute")
def sign_in_with_passkey_only() -> Response:
    """No user code typed: the passkey names its account, and is two factors on its own (the
    device held, and the person unlocking it)."""
    portal = Portal.CITIZEN if request.form.get("portal") == Portal.CITIZEN else Portal.ENTERPRISE
    next_url = safe_next(request.args.get("next"), "")
    # Refused, back to the sign-in page with its way back to the site the person came from.
    back = sign_in_url(portal, next=next_url or None)
    form = PasskeyAnswerForm()
    if not form.validate_on_submit():
        abort(400)
    rt = runtime()
    try:
        passkey = services.prove_sign_in(
            db.session, rt, form.credential.data or "", account=None, client=client_info()
        )
    except PasskeyRefusedError as refused:
        db.session.commit()
        flash(str(refused.message), "error")
        return redirect(back)
    account = db.session.get(Account, passkey.account_id)
    if account is None or not account.is_active or account.portal != portal:
        db.session.commit()
        flash(_("This passkey cannot sign in here."), "error")
        return redirect(back)
    replace_previous_session()
    user_session, _token = start_pending_session(
        db.session, rt, account, public_computer=False, client=client_info()
    )
    token = authenticate_session(db.session, rt, user_session, amr=AMR_PASSKEY)
    if next_url:
        session["next"] = next_url
    return complete_sign_in(user_session, token)


@bp.route("/connexion/cle-d-acces/confirmer", methods=["GET", "POST"])
@any_login_required
@limiter.limit("30/minute", methods=["POST"])
def confirm() -> Response | str:
    """A site requires a passkey and the session was made with the code: the passkey now, then
    back to the site (the session's sign-in becomes the passkey's)."""
    user_session = signed_in_session()
    account = user_session.account
    next_url = safe_next(request.args.get("next"), home_url(account))
    rt = runtime()
    form = PasskeyAnswerForm()
    error = None
    if form.validate_on_submit():
        try:
            services.prove_sign_in(
                db.session, rt, form.credential.data or "", account=account, client=client_info()
            )
        except PasskeyRefusedError as refused:
            db.session.commit()
            error = str(refused.message)
        else:
            token = authenticate_session(db.session, rt, user_session, amr=AMR_PASSWORD_AND_PASSKEY)
            db.session.commit()
            set_session_token(token, persistent=not user_session.public_computer)
            return redirect(next_url)
    ceremony = sign_in_ceremony(account)
    return render_template(
        "passkeys/confirm.html",
        ceremony=ceremony,
        form=PasskeyAnswerForm(formdata=None),
        error=error,
        next_url=next_url,
        # Once the passkey is added, back to the site's request: it sends here again, where
        # the new passkey is now offered.
        manage_url=url_for(
            _endpoint(account.portal, "passkeys"),
            next=safe_next(request.args.get("next"), "") or None,
        ),
    )


# -- « Mes clés d'accès » ------------------------------------------------------------------------


def _endpoint(portal: str, name: str) -> str:
    return f"{'citizens' if portal == Portal.CITIZEN else 'accounts'}.{name}"


def _routes(
    blueprint: Blueprint, portal: Portal, required: Callable[[Callable[..., Any]], Any]
) -> None:
    @blueprint.route("/compte/cles-d-acces", methods=["GET", "POST"], endpoint="passkeys")
    @required
    def manage() -> Response | str:
        return _manage(portal)

    @blueprint.post("/compte/cles-d-acces/<int:passkey_id>/retrait", endpoint="remove_passkey")
    @required
    def remove(passkey_id: int) -> Response:
        return _remove(portal, passkey_id)


def _manage(portal: Portal) -> Response | str:
    user_session = signed_in_session()
    account = user_session.account
    services.ensure_may_manage(account)
    rt = runtime()
    # Where the person was sent from to add one (the passkey step of a site's request): kept
    # through the emailed code, gone back to once the passkey is added.
    return_to = safe_next(request.args.get("next"), "")
    page = url_for(_endpoint(portal, "passkeys"), next=return_to or None)
    form = AddPasskeyForm()
    error = None
    if form.validate_on_submit():
        outcome = attempt_sensitive(
            lambda: services.register(
                db.session,
                rt,
                account,
                name=form.name.data or "",
                credential_json=form.credential.data or "",
                verified_at=code_verified_at(),
                client=client_info(),
            ),
            step_up_to=page,
        )
        if isinstance(outcome, Response):
            return outcome
        if isinstance(outcome, Refusal):
            error = str(outcome.message)
        else:
            _tell(user_session, "passkey_added", outcome.name)
            return finish(_("The passkey was added."), return_to or page)
    recent = is_recent(rt, code_verified_at())
    ceremony = None
    if recent:
        ceremony = services.start_registration(db.session, rt, account)
        db.session.commit()
    return render_template(
        "passkeys/manage.html",
        passkeys=services.passkeys_of(db.session, account.id),
        form=form,
        remove_form=RemovePasskeyForm(),
        ceremony=ceremony,
        error=error,
        page_url=page,
        returns=bool(return_to),
        step_up_url=url_for("mfa.step_up", next=page),
        remove_endpoint=_endpoint(portal, "remove_passkey"),
    )


def _remove(portal: Portal, passkey_id: int) -> Response:
    page = url_for(_endpoint(portal, "passkeys"))
    if not RemovePasskeyForm().validate_on_submit():
        abort(400)
    user_session = signed_in_session()
    account = user_session.account
    rt = runtime()
    outcome = attempt_sensitive(
        lambda: services.remove(
            db.session,
            rt,
            account,
            passkey_id,
            verified_at=code_verified_at(),
            client=client_info(),
        ),
        step_up_to=page,
    )
    if isinstance(outcome, Response):
        return outcome
    if isinstance(outcome, Refusal):
        flash(str(outcome.message), "error")
        return redirect(page)
    if not services.has_passkey(db.session, account.id):
        _tell(user_session, "passkey_removed", outcome.name)
    return finish(_("The passkey was removed."), page)


def _tell(user_session: UserSession, kind: str, name: str) -> None:
    """The person's email: a passkey added, or the last one removed (whoever holds the session
    may have done it; the owner of the address hears of it)."""
    rt = runtime()
    account = user_session.account
    send_notice(
        rt,
        account_message(
            db.session,
            rt,
            account,
            kind,
            times={"when": rt.clock()},
            passkey=name,
            manage_url=url_for(_endpoint(account.portal, "passkeys"), _external=True),
        ),
    )


_routes(accounts_bp, Portal.ENTERPRISE, login_required)
_routes(citizens_bp, Portal.CITIZEN, citizen_login_required)
