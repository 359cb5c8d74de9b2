"""Step 2 of sign-in: the code sent by email."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts import browsers
from idp.accounts.models import SessionStage, UserSession
from idp.accounts.sessions import authenticate_session
from idp.audit.services import record, record_own
from idp.audit.tags import AuditAction, Outcome
from idp.citizens import device
from idp.citizens.signin import CODE_ONLY_SESSION_KEY
from idp.errors import CodeError, DeliveryError, ThrottledError
from idp.extensions import db, limiter
from idp.mfa.forms import CodeForm, ResendForm
from idp.mfa.services import has_usable_code, issue_code, verify_code
from idp.passkeys.services import has_passkey, start_sign_in
from idp.web import known_browser
from idp.web.context import (
    any_login_required,
    client_info,
    current_session,
    home_url,
    runtime,
    sign_in_url,
    signed_in_session,
)
from idp.web.i18n import safe_next
from idp.web.messages import throttled_message
from idp.web.session_loader import set_session_token

bp = Blueprint("mfa", __name__)


def _pending_session() -> UserSession | None:
    user_session = current_session()
    if user_session is None or user_session.stage != SessionStage.PENDING_CODE:
        return None
    return user_session


@bp.route("/connexion/code", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def verify() -> Response | str:
    """Enter the 6-digit code; on success the sign-in is complete."""
    user_session = _pending_session()
    if user_session is None:
        flash(_("Your sign-in has expired. Please start again."), "info")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    outcome = CodeOutcome()
    if form.validate_on_submit():
        outcome = _check_code(form, user_session)
        if outcome.accepted:
            rt = runtime()
            token = authenticate_session(db.session, rt, user_session)
            return complete_sign_in(user_session, token)
    return _code_page(
        form,
        user_session,
        outcome,
        step_up=False,
        resend_url=url_for("mfa.resend"),
        cancel_url=sign_in_url(user_session.account.portal),
    )


@bp.post("/connexion/nouveau-code")
@limiter.limit("10/minute")
def resend() -> Response:
    """Send a new code, voiding the previous one (cooldown and hourly cap apply)."""
    user_session = _pending_session()
    if user_session is None:
        return redirect(url_for("accounts.login"))
    if ResendForm().validate_on_submit():
        _flash_sent(send_code_or_explain(user_session))
    return redirect(url_for("mfa.verify"))


@bp.route("/verification", methods=["GET", "POST"])
@any_login_required
@limiter.limit("30/minute", methods=["POST"])
def step_up() -> Response | str:
    """Enter a fresh emailed code before a sensitive action, then go back to it."""
    user_session = signed_in_session()
    next_url = safe_next(request.args.get("next"), home_url(user_session.account))
    rt = runtime()
    form = CodeForm()
    outcome = CodeOutcome()
    if request.method == "GET" and not has_usable_code(db.session, rt, user_session):
        outcome = CodeOutcome(error=send_code_or_explain(user_session))
    elif form.validate_on_submit():
        outcome = _check_code(form, user_session)
        if outcome.accepted:
            user_session.code_verified_at = rt.clock()
            _record_for(user_session, AuditAction.STEP_UP)
            db.session.commit()
            return redirect(next_url)
    return _code_page(
        form,
        user_session,
        outcome,
        step_up=True,
        resend_url=url_for("mfa.step_up_resend", next=next_url),
        cancel_url=next_url,
    )


@bp.post("/verification/nouveau-code")
@any_login_required
@limiter.limit("10/minute")
def step_up_resend() -> Response:
    """A new step-up code (cooldown and hourly cap apply)."""
    next_url = safe_next(request.args.get("next"), home_url(signed_in_session().account))
    if ResendForm().validate_on_submit():
        _flash_sent(send_code_or_explain(signed_in_session()))
    return redirect(url_for("mfa.step_up", next=next_url))


# -- shared by the pages above and the password step -------------------------------------------


def send_code_or_explain(
    user_session: UserSession, *, first_of_sign_in: bool = False
) -> str | None:
    """Email a new code and commit; or roll back, audit why not, and return the message.

    On failure nothing is half-done: the code that was not delivered does not exist (and, for
    the first code of a sign-in, neither does the pending session).
    """
    rt, client = runtime(), client_info()
    # Read before a rollback, which may take the (new, pending) session row with it.
    account_id = user_session.account_id
    try:
        issue_code(db.session, rt, user_session, client=client, first_of_sign_in=first_of_sign_in)
    except ThrottledError as exc:
        db.session.rollback()
        _record_send_refusal(exc.details.get("reason"), Outcome.DENIED, account_id)
        return throttled_message(exc)
    except DeliveryError:
        db.session.rollback()
        _record_send_refusal("delivery_failed", Outcome.FAILURE, account_id)
        return _(
            "We could not send the verification code by email. Nothing was changed; "
            "please try again in a few minutes."
        )
    db.session.commit()
    return None


def _record_send_refusal(reason: str | None, outcome: Outcome, account_id: int) -> None:
    record(
        db.session,
        runtime().clock,
        AuditAction.MFA_CODE_SEND,
        outcome,
        client=client_info(),
        actor_id=account_id,
        subject_id=account_id,
        reason=reason,
    )
    db.session.commit()


def _flash_sent(error: str | None) -> None:
    if error is None:
        flash(_("A new code was sent. Only the newest code works."), "success")
    else:
        flash(error, "error")


@dataclass(frozen=True)
class CodeOutcome:
    """What entering a code gave: accepted, or the message and whether a new code is needed."""

    accepted: bool = False
    error: str | None = None
    code_void: bool = False


def _check_code(form: CodeForm, user_session: UserSession) -> CodeOutcome:
    try:
        verify_code(db.session, runtime(), user_session, form.code.data or "", client=client_info())
    except CodeError as exc:
        db.session.commit()  # the failed attempt counts
        form.code.data = ""
        void = exc.details.get("reason") in {"void", "voided", "expired"}
        return CodeOutcome(error=str(exc.message), code_void=void)
    return CodeOutcome(accepted=True)


def complete_sign_in(user_session: UserSession, token: str) -> Response:
    """The session was just authenticated (emailed code or, for a citizen, a security
    question): record it, hand the browser its new token, and go where the person was going."""
    rt = runtime()
    account = user_session.account
    rt.throttle.record_success(account.user_code)
    _record_for(
        user_session, AuditAction.SIGNIN_COMPLETE, sid=user_session.sid, amr=user_session.amr
    )
    browser = known_browser.identify()
    sighting = browsers.note_sign_in(
        db.session, rt, account, browser, remember=not user_session.public_computer
    )
    db.session.commit()
    if sighting.new_to_account:
        known_browser.tell_person(user_session)
    next_url = session.get("next")
    set_session_token(token, persistent=not user_session.public_computer)
    if account.must_change_password:
        if next_url:
            session["next"] = next_url
        response = redirect(url_for("accounts.change_password"))
    else:
        response = redirect(safe_next(next_url, home_url(account)))
        if account.is_citizen and not user_session.public_computer:
            # This browser may show the account's image on the password page from now on.
            device.remember(response, account.id)
    if not user_session.public_computer:
        known_browser.keep(response, browser)
    return response


def _record_for(user_session: UserSession, action: AuditAction, **details: Any) -> None:
    account = user_session.account
    record_own(db.session, runtime().clock, action, account, client=client_info(), **details)


def _code_page(
    form: CodeForm,
    user_session: UserSession,
    outcome: CodeOutcome,
    *,
    step_up: bool,
    resend_url: str,
    cancel_url: str,
) -> str:
    account = user_session.account
    passkey = None
    if not step_up and has_passkey(db.session, account.id):
        # Offered first: it cannot be relayed by a look-alike site, as a code can.
        passkey = start_sign_in(db.session, runtime(), account)
        db.session.commit()
    return render_template(
        "mfa/verify.html",
        passkey=passkey,
        citizen=account.is_citizen,
        offer_question=account.is_citizen
        and not step_up
        and not session.get(CODE_ONLY_SESSION_KEY),
        form=form,
        resend_form=ResendForm(),
        error=outcome.error,
        code_void=outcome.code_void,
        masked_email=mask_email(account.email),
        minutes=runtime().settings.mfa_code_ttl_seconds // 60,
        step_up=step_up,
        resend_url=resend_url,
        cancel_url=cancel_url,
    )


def mask_email(email: str) -> str:
    """``j•••@example.com``: enough to recognise the address, not to learn it."""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
