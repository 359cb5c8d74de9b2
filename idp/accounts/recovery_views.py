"""Recovery pages of both portals: « Forgot your password? » and « Forgot your user code? ».

The enterprise pages are here, on the ``accounts`` blueprint (under ``/connexion``); the
citizens' (:mod:`idp.citizens.views.recovery`, under ``/citoyens/connexion``) call the same
functions with their portal and templates. A request page always answers « if the details
match an account, an email was sent », and the email leaves after the response
(:mod:`idp.mail.deferred`), so neither the words nor the time tell whether an account exists.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts import recovery
from idp.accounts.forms import (
    CitizenResetPasswordForm,
    EnterpriseForgotUserCodeForm,
    ForgotPasswordForm,
    ForgotUserCodeForm,
    ResetPasswordForm,
)
from idp.accounts.models import PasswordReset, Portal
from idp.accounts.views import bp
from idp.errors import CodeError, NotFoundError, ThrottledError
from idp.extensions import db, limiter
from idp.mail.deferred import deferred
from idp.web.actions import Refusal, attempt, finish, refusal_message
from idp.web.context import client_info, runtime, sign_in_url
from idp.web.i18n import page_language
from idp.web.messages import must_wait, throttled_message

SENT = "accounts/recovery_sent.html"


# -- the enterprise pages ----------------------------------------------------------------------


@bp.route("/connexion/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def forgot_password() -> str:
    """Ask for a reset link: user code and email address."""
    return forgot_password_page(Portal.ENTERPRISE)


@bp.route("/connexion/code-utilisateur-oublie", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def forgot_user_code() -> str:
    """Ask for the user codes tied to an email address (of one enterprise, if a NEQ is given)."""
    return forgot_user_code_page(Portal.ENTERPRISE, EnterpriseForgotUserCodeForm())


@bp.route("/connexion/mot-de-passe-oublie/<token>", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def reset_password(token: str) -> Response | str | tuple[str, int]:
    """The emailed link: choose a new password (a GET only shows the form)."""
    return reset_password_page(Portal.ENTERPRISE, token)


# -- what both portals share -------------------------------------------------------------------


def forgot_password_page(portal: Portal) -> str:
    form = ForgotPasswordForm()
    template = _template(portal, "forgot_password")
    if not form.validate_on_submit():
        return render_template(template, form=form)
    rt = runtime()
    try:
        recovery.request_password_reset(
            db.session,
            rt,
            portal=portal,
            user_code=form.user_code.data or "",
            email=form.email.data or "",
            client=client_info(),
            deliver=deferred(rt.sender),
        )
    except ThrottledError as exc:
        db.session.commit()  # the refusal's audit event
        return render_template(template, form=form, error=throttled_message(exc))
    db.session.commit()
    return _sent("password")


def forgot_user_code_page(portal: Portal, form: ForgotUserCodeForm) -> str:
    template = _template(portal, "forgot_user_code")
    if not form.validate_on_submit():
        return render_template(template, form=form)
    rt = runtime()
    neq = getattr(form, "neq", None)
    try:
        recovery.send_user_codes(
            db.session,
            rt,
            portal=portal,
            email=form.email.data or "",
            neq=(neq.data or "").strip() or None if neq is not None else None,
            client=client_info(),
            deliver=deferred(rt.sender),
        )
    except ThrottledError as exc:
        db.session.commit()
        return render_template(template, form=form, error=throttled_message(exc))
    db.session.commit()
    return _sent("user_code")


def reset_password_page(portal: Portal, token: str) -> Response | str | tuple[str, int]:
    rt = runtime()
    try:
        reset = recovery.find_password_reset(db.session, rt, token, portal)
    except NotFoundError as exc:
        return _link_invalid(portal, exc)
    citizen = portal is Portal.CITIZEN
    form: Any = CitizenResetPasswordForm() if citizen else ResetPasswordForm()
    question = _question_label(reset) if citizen else None
    error, waiting = None, False
    if form.validate_on_submit():
        answered = False
        if citizen:
            try:
                recovery.check_reset_answer(
                    db.session, rt, reset, form.answer.data or "", client=client_info()
                )
            except ThrottledError as exc:
                db.session.commit()  # the refusal's audit event
                form.answer.errors = [*form.answer.errors, throttled_message(exc)]
                waiting = must_wait(exc)
            except CodeError as exc:
                db.session.commit()  # the failure counted, the link perhaps voided
                if exc.details.get("reason") == "voided":
                    return _link_invalid(portal, exc)
                form.answer.errors = [*form.answer.errors, str(exc.message)]
            else:
                db.session.commit()  # the right answer's audit event
                answered = True
        if answered or not citizen:
            result = attempt(
                lambda: recovery.complete_password_reset(
                    db.session,
                    rt,
                    reset,
                    form.new_password.data or "",
                    question_answered=answered,
                    client=client_info(),
                    deliver=deferred(rt.sender),
                )
            )
            if not isinstance(result, Refusal):
                return finish(
                    _("Your password has been changed. Sign in with your new password."),
                    sign_in_url(portal),
                )
            error = refusal_message(result, form)
    form.new_password.data = form.confirm_password.data = ""
    return render_template(
        _template(portal, "reset_password"),
        form=form,
        question=question,
        error=error,
        waiting=waiting,
    )


def _question_label(reset: PasswordReset) -> str:
    from idp.citizens import catalogue

    asked = recovery.reset_question(db.session, runtime(), reset)
    chosen = catalogue.question(asked.question_key)
    return chosen.label(page_language()) if chosen else asked.question_key


def _link_invalid(portal: Portal, exc: Exception) -> tuple[str, int]:
    message = getattr(exc, "message", None) or str(exc)
    return (
        render_template(
            "accounts/recovery_link_invalid.html",
            message=str(message),
            again_url=url_for(_endpoint(portal, "forgot_password")),
        ),
        404,
    )


def _sent(what: str) -> str:
    """The same page whether or not anything was sent."""
    minutes = runtime().settings.password_reset_link_seconds // 60
    return render_template(SENT, what=what, link_minutes=minutes)


def _template(_portal: Portal, page: str) -> str:
    # One template per page for both portals: the layout and links follow ``portal``.
    return f"accounts/{page}.html"


def _endpoint(portal: Portal, page: str) -> str:
    return f"{'citizens' if portal is Portal.CITIZEN else 'accounts'}.{page}"
