"""Step 2 of sign-in: the code sent by email."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import SessionStage, UserSession
from idp.accounts.sessions import authenticate_session
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.errors import CodeError, DeliveryError, ThrottledError
from idp.extensions import db, limiter
from idp.mfa.forms import CodeForm, ResendForm
from idp.mfa.services import has_usable_code, issue_code, verify_code
from idp.web.context import (
    client_info,
    current_session,
    login_required,
    runtime,
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
    error = None
    code_void = False
    if form.validate_on_submit():
        rt, client = runtime(), client_info()
        try:
            verify_code(db.session, rt, user_session, form.code.data or "", client=client)
        except CodeError as exc:
            db.session.commit()
            error = str(exc.message)
            code_void = exc.details.get("reason") in {"void", "voided", "expired"}
        else:
            token = authenticate_session(db.session, rt, user_session)
            rt.throttle.record_success(user_session.account.user_code)
            record(
                db.session,
                rt.clock,
                AuditAction.SIGNIN_COMPLETE,
                client=client,
                actor_id=user_session.account_id,
                subject_id=user_session.account_id,
                enterprise_id=user_session.account.enterprise_id,
                sid=user_session.sid,
            )
            db.session.commit()
            next_url = session.get("next")
            set_session_token(token, persistent=not user_session.public_computer)
            if user_session.account.must_change_password:
                if next_url:
                    session["next"] = next_url
                return redirect(url_for("accounts.change_password"))
            return redirect(safe_next(next_url, url_for("home.index")))
        form.code.data = ""
    return render_template(
        "mfa/verify.html",
        form=form,
        resend_form=ResendForm(),
        error=error,
        code_void=code_void,
        masked_email=mask_email(user_session.account.email),
        minutes=runtime().settings.mfa_code_ttl_seconds // 60,
        step_up=False,
        resend_url=url_for("mfa.resend"),
        cancel_url=url_for("accounts.login"),
    )


@bp.post("/connexion/nouveau-code")
@limiter.limit("10/minute")
def resend() -> Response:
    """Send a new code, voiding the previous one (cooldown and hourly cap apply)."""
    user_session = _pending_session()
    if user_session is None:
        return redirect(url_for("accounts.login"))
    form = ResendForm()
    if form.validate_on_submit():
        rt, client = runtime(), client_info()
        try:
            issue_code(db.session, rt, user_session, client=client)
        except ThrottledError as exc:
            db.session.rollback()
            record(
                db.session,
                rt.clock,
                AuditAction.MFA_CODE_SEND,
                Outcome.DENIED,
                client=client,
                subject_id=user_session.account_id,
                reason=exc.details.get("reason"),
            )
            db.session.commit()
            flash(throttled_message(exc), "error")
        except DeliveryError:
            db.session.rollback()
            record(
                db.session,
                rt.clock,
                AuditAction.MFA_CODE_SEND,
                Outcome.FAILURE,
                client=client,
                subject_id=user_session.account_id,
                reason="delivery_failed",
            )
            db.session.commit()
            flash(
                _(
                    "We could not send a new code by email. Your previous code, if any, is "
                    "still valid; try again in a few minutes."
                ),
                "error",
            )
        else:
            db.session.commit()
            flash(_("A new code was sent. Only the newest code works."), "success")
    return redirect(url_for("mfa.verify"))


def mask_email(email: str) -> str:
    """``j•••@example.com``: enough to recognise the address, not to learn it."""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


@bp.route("/verification", methods=["GET", "POST"])
@login_required
@limiter.limit("30/minute", methods=["POST"])
def step_up() -> Response | str:
    """Enter a fresh emailed code before a sensitive action, then go back to it."""
    user_session = signed_in_session()
    next_url = safe_next(request.args.get("next"), url_for("home.index"))
    rt, client = runtime(), client_info()
    form = CodeForm()
    error = None
    code_void = False
    if request.method == "GET" and not has_usable_code(db.session, rt, user_session):
        error = _send_step_up_code(user_session)
    elif form.validate_on_submit():
        try:
            verify_code(db.session, rt, user_session, form.code.data or "", client=client)
        except CodeError as exc:
            db.session.commit()
            error = str(exc.message)
            code_void = exc.details.get("reason") in {"void", "voided", "expired"}
        else:
            user_session.code_verified_at = rt.clock()
            record(
                db.session,
                rt.clock,
                AuditAction.STEP_UP,
                client=client,
                actor_id=user_session.account_id,
                subject_id=user_session.account_id,
                enterprise_id=user_session.account.enterprise_id,
            )
            db.session.commit()
            return redirect(next_url)
        form.code.data = ""
    return render_template(
        "mfa/verify.html",
        form=form,
        resend_form=ResendForm(),
        error=error,
        code_void=code_void,
        masked_email=mask_email(user_session.account.email),
        minutes=rt.settings.mfa_code_ttl_seconds // 60,
        step_up=True,
        resend_url=url_for("mfa.step_up_resend", next=next_url),
        cancel_url=next_url,
    )


@bp.post("/verification/nouveau-code")
@login_required
@limiter.limit("10/minute")
def step_up_resend() -> Response:
    """A new step-up code (cooldown and hourly cap apply)."""
    next_url = safe_next(request.args.get("next"), url_for("home.index"))
    if ResendForm().validate_on_submit():
        error = _send_step_up_code(signed_in_session())
        if error is None:
            flash(_("A new code was sent. Only the newest code works."), "success")
        else:
            flash(error, "error")
    return redirect(url_for("mfa.step_up", next=next_url))


def _send_step_up_code(user_session: UserSession) -> str | None:
    """Send a code for the step-up; returns the message to show when it could not be sent."""
    rt, client = runtime(), client_info()
    try:
        issue_code(db.session, rt, user_session, client=client)
    except ThrottledError as exc:
        db.session.rollback()
        return throttled_message(exc)
    except DeliveryError:
        db.session.rollback()
        record(
            db.session,
            rt.clock,
            AuditAction.MFA_CODE_SEND,
            Outcome.FAILURE,
            client=client,
            subject_id=user_session.account_id,
            reason="delivery_failed",
        )
        db.session.commit()
        return _(
            "We could not send the verification code by email. Nothing was changed; "
            "please try again in a few minutes."
        )
    db.session.commit()
    return None
