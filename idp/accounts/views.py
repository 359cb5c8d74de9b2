"""Sign-in (password step), sign-out and password change pages."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.forms import ChangePasswordForm, SignInForm, SignOutForm
from idp.accounts.models import UserSession
from idp.accounts.services import change_password, sign_in_with_password
from idp.accounts.sessions import EndReason, end_session
from idp.audit.services import record_own
from idp.audit.tags import AuditAction, Outcome
from idp.errors import AuthenticationFailedError, ThrottledError, ValidationError
from idp.extensions import db, limiter
from idp.mail.messages import account_message, send_notice
from idp.mfa.views import send_code_or_explain
from idp.saml.logout import start_provider_logout
from idp.web.context import (
    client_info,
    current_session,
    login_required,
    runtime,
    signed_in_session,
)
from idp.web.i18n import safe_next
from idp.web.messages import (
    failed_sign_in_message,
    guesses_left_sentence,
    must_wait,
    throttled_message,
)
from idp.web.session_loader import clear_session_token, set_session_token

bp = Blueprint("accounts", __name__)

NEXT_KEY = "next"


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("60/minute", methods=["POST"])
def login() -> Response | str:
    """Step 1: user code and password."""
    form = SignInForm()
    error = None
    waiting = False
    hint = request.args.get("login_hint")
    if request.method == "GET" and hint:
        # A relying party's `login_hint` (OIDC): the user code, if it gave one.
        form.user_code.data = hint.strip()[:16]
    if form.validate_on_submit():
        try:
            user_session, token = sign_in_with_password(
                db.session,
                runtime(),
                user_code=form.user_code.data or "",
                password=form.password.data or "",
                public_computer=bool(form.public_computer.data),
                client=client_info(),
            )
        except ThrottledError as exc:
            db.session.commit()  # the refusal's audit event
            error, waiting = throttled_message(exc), True
        except AuthenticationFailedError as exc:
            db.session.commit()
            error, waiting = failed_sign_in_message(exc), must_wait(exc)
        else:
            error = send_code_or_explain(user_session, first_of_sign_in=True)
            if error is None:
                replace_previous_session()
                next_url = safe_next(request.args.get("next"), "")
                set_session_token(token, persistent=not form.public_computer.data)
                if next_url:
                    session[NEXT_KEY] = next_url
                return redirect(url_for("mfa.verify"))
        form.password.data = ""
    return render_template("accounts/login.html", form=form, error=error, waiting=waiting)


def replace_previous_session() -> None:
    """Signing in again (a relying party asked for a fresh sign-in) ends the session before."""
    previous = current_session()
    if previous is not None and previous.ended_at is None:
        end_session(db.session, runtime(), previous, EndReason.REPLACED, client=client_info())
        db.session.commit()


@bp.route("/mot-de-passe", methods=["GET", "POST"], endpoint="change_password")
@login_required
def change_password_page() -> Response | str:
    """Choose a new password; forced after a temporary password."""
    user_session = signed_in_session()
    forced = user_session.account.must_change_password
    form = ChangePasswordForm()
    outcome = PasswordChangeOutcome()
    if form.validate_on_submit():
        outcome = submit_password_change(form, user_session)
        if outcome.changed:
            flash(_("Your password has been changed."), "success")
            return redirect(safe_next(session.pop(NEXT_KEY, None), url_for("home.index")))
    return render_template(
        "accounts/change_password.html", form=form, forced=forced, waiting=outcome.waiting
    )


class PasswordChangeOutcome(NamedTuple):
    changed: bool = False
    # Wrong current passwords count as sign-in failures: the person may now have to wait.
    waiting: bool = False


def submit_password_change(
    form: ChangePasswordForm, user_session: UserSession
) -> PasswordChangeOutcome:
    """Change the password from a submitted form, both portals; refusals go under the form's
    fields. The person's other sessions end (with their grants); this one stays."""
    account = user_session.account
    forced = account.must_change_password
    try:
        change_password(
            db.session,
            runtime(),
            account,
            new_password=form.new_password.data or "",
            current_password=None if forced else form.current_password.data,
            client=client_info(),
            keep_session_id=user_session.id,
        )
    except ThrottledError as exc:
        db.session.commit()  # the refusal's audit event
        form.current_password.errors = [*form.current_password.errors, throttled_message(exc)]
        return PasswordChangeOutcome(waiting=True)
    except ValidationError as exc:
        # Nothing was changed; what the check counted (a failure, a lock) is kept.
        record_own(
            db.session,
            runtime().clock,
            AuditAction.PASSWORD_CHANGE,
            account,
            Outcome.FAILURE,
            client=client_info(),
            reason=exc.code,
            field=exc.details.get("field"),
        )
        db.session.commit()
        field = getattr(form, str(exc.details.get("field", "new_password")))
        message = f"{exc.message} {guesses_left_sentence(exc)}".strip()
        field.errors = [*field.errors, message]
        return PasswordChangeOutcome(waiting=must_wait(exc))
    db.session.commit()
    if not forced:
        # The address of the account hears of it (not for a first, temporary password).
        rt = runtime()
        notice = account_message(
            db.session, rt, account, "password_changed", times={"when": rt.clock()}
        )
        send_notice(rt, notice)
    return PasswordChangeOutcome(changed=True)


@bp.post("/deconnexion")
def logout() -> Response:
    """End the server-side session and forget the cookie."""
    form = SignOutForm()
    user_session = current_session()
    destination = url_for("accounts.login")
    if user_session is not None and user_session.account.is_citizen:
        destination = url_for("citizens.login")
    if form.validate_on_submit() and user_session is not None:
        end_session(db.session, runtime(), user_session, EndReason.SIGN_OUT, client=client_info())
        # The SAML services of the session are visited in turn, then the sign-in page.
        destination = start_provider_logout(user_session, destination) or destination
        db.session.commit()
    clear_session_token()
    flash(_("You are signed out. Close the browser if you are on a public computer."), "success")
    return redirect(destination)
