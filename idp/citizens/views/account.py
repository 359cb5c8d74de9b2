"""The signed-in citizen's own pages: home, password, email, questions, closing."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.email_changes import find_email_change
from idp.accounts.forms import ChangePasswordForm, SignOutForm
from idp.accounts.views import PasswordChangeOutcome, submit_password_change
from idp.citizens import account as citizen_account
from idp.citizens.forms import CloseAccountForm, ConfirmForm, EmailForm, QuestionsForm
from idp.citizens.views.common import bp, field_error, link_invalid
from idp.errors import DeliveryError, NotFoundError, ThrottledError, ValidationError
from idp.extensions import db, limiter
from idp.mfa.step_up import is_recent
from idp.web.context import (
    citizen_login_required,
    client_info,
    current_account,
    runtime,
    signed_in_session,
    step_up_redirect,
)
from idp.web.i18n import page_language
from idp.web.messages import guesses_left_sentence, throttled_message
from idp.web.session_loader import clear_session_token


@bp.get("/")
@citizen_login_required
def home() -> str:
    user_session = signed_in_session()
    account = user_session.account
    rt = runtime()
    return render_template(
        "citizens/home.html",
        account=account,
        previous_sign_in_at=user_session.previous_sign_in_at,
        services=citizen_account.services_used(db.session, rt, account, page_language()),
        public_computer=user_session.public_computer,
        public_idle_minutes=rt.settings.session_public_idle_timeout_seconds // 60,
        sign_out_form=SignOutForm(),
    )


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@citizen_login_required
def change_password_page() -> Response | str:
    form = ChangePasswordForm()
    outcome = PasswordChangeOutcome()
    if form.validate_on_submit():
        outcome = submit_password_change(form, signed_in_session())
        if outcome.changed:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("citizens.home"))
    return render_template("citizens/change_password.html", form=form, waiting=outcome.waiting)


def _needs_step_up() -> bool:
    return not is_recent(runtime(), signed_in_session().code_verified_at)


@bp.route("/compte/courriel", methods=["GET", "POST"])
@citizen_login_required
def change_email() -> Response | str:
    if _needs_step_up():
        return step_up_redirect(url_for("citizens.change_email"))
    account = current_account()
    form = EmailForm()
    error = None
    if form.validate_on_submit():
        rt = runtime()
        try:
            change = citizen_account.request_email_change(
                db.session,
                rt,
                account,
                form.email.data or "",
                base_url=rt.settings.issuer,
                client=client_info(),
            )
        except ValidationError as exc:
            db.session.rollback()
            field_error(form, exc, "email")
        except DeliveryError:
            db.session.rollback()
            error = _(
                "We could not send the email to the new address. Nothing was changed; check "
                "the address or try again in a few minutes."
            )
        else:
            db.session.commit()
            flash(
                _(
                    "A link was sent to %(email)s. Your address changes when you open it; until "
                    "then, codes keep going to your current address.",
                    email=change.email,
                ),
                "success",
            )
            return redirect(url_for("citizens.home"))
    return render_template(
        "citizens/change_email.html", form=form, error=error, current_email=account.email
    )


@bp.route("/compte/courriel/confirmer/<token>", methods=["GET", "POST"])
@limiter.limit("20/minute")
def confirm_email(token: str) -> Response | str | tuple[str, int]:
    rt = runtime()
    try:
        change = find_email_change(db.session, rt, token)
    except NotFoundError as exc:
        return link_invalid(exc)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            citizen_account.confirm_email_change(db.session, rt, change, client=client_info())
        except NotFoundError as exc:
            db.session.rollback()
            return link_invalid(exc)
        db.session.commit()
        flash(_("Your email address is changed. Codes will be sent there from now on."), "success")
        return redirect(url_for("citizens.home"))
    return render_template("citizens/confirm_email.html", form=form, email=change.email)


@bp.route("/compte/questions", methods=["GET", "POST"])
@citizen_login_required
def change_questions() -> Response | str:
    if _needs_step_up():
        return step_up_redirect(url_for("citizens.change_questions"))
    form = QuestionsForm()
    if form.validate_on_submit():
        try:
            citizen_account.change_questions(
                db.session, runtime(), current_account(), form.pairs(), client=client_info()
            )
        except ValidationError as exc:
            db.session.rollback()
            field_error(form, exc, "question_1")
        else:
            db.session.commit()
            flash(_("Your security questions are changed."), "success")
            return redirect(url_for("citizens.home"))
    return render_template("citizens/change_questions.html", form=form)


@bp.route("/compte/fermer", methods=["GET", "POST"])
@citizen_login_required
def close() -> Response | str:
    if _needs_step_up():
        return step_up_redirect(url_for("citizens.close"))
    account = current_account()
    form = CloseAccountForm()
    if form.validate_on_submit():
        try:
            citizen_account.close_account(
                db.session, runtime(), account, form.password.data or "", client=client_info()
            )
        except ThrottledError as exc:
            db.session.commit()  # the refusal's audit event
            form.password.errors = [*form.password.errors, throttled_message(exc)]
        except ValidationError as exc:
            db.session.commit()  # the failure counted (a lock it set is recorded)
            form.password.errors = [
                *form.password.errors,
                f"{exc.message} {guesses_left_sentence(exc)}".strip(),
            ]
        else:
            db.session.commit()
            clear_session_token()
            return redirect(url_for("citizens.closed"))
    return render_template("citizens/close.html", form=form)


@bp.get("/compte/ferme")
def closed() -> str:
    return render_template("citizens/closed.html")
