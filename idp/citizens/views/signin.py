"""Sign-in: the user code, the password under the image and phrase, then the emailed code
or one of the security questions."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.models import Portal, SessionStage, UserSession
from idp.accounts.services import find_by_user_code, sign_in_with_password
from idp.accounts.user_codes import normalize_user_code
from idp.accounts.views import replace_previous_session
from idp.citizens import account as citizen_account
from idp.citizens import catalogue, device
from idp.citizens.forms import AnswerForm, PasswordForm, UserCodeForm
from idp.citizens.signin import answer_question, asked_question
from idp.citizens.views.common import CODE_ONLY_KEY, NEXT_KEY, SIGNIN_KEY, bp
from idp.errors import AuthenticationFailedError, CodeError, ThrottledError
from idp.extensions import db, limiter
from idp.mfa.views import complete_sign_in, send_code_or_explain
from idp.web.context import client_info, current_session, runtime
from idp.web.i18n import page_language, safe_next
from idp.web.messages import failed_sign_in_message, must_wait, throttled_message
from idp.web.session_loader import clear_session_token, set_session_token


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("60/minute", methods=["POST"])
def login() -> Response | str:
    """Step 1: the user code."""
    form = UserCodeForm()
    hint = request.args.get("login_hint")
    if request.method == "GET" and hint:
        form.user_code.data = hint.strip()[:16]
    if form.validate_on_submit():
        session[SIGNIN_KEY] = {
            "user_code": normalize_user_code(form.user_code.data or ""),
            "public": bool(form.public_computer.data),
            "code_only": request.args.get("acr") == "mfa",
        }
        next_url = safe_next(request.args.get("next"), "")
        if next_url:
            session[NEXT_KEY] = next_url
        else:
            session.pop(NEXT_KEY, None)
        return redirect(url_for("citizens.password"))
    return render_template(
        "citizens/login.html",
        form=form,
        create_url=url_for("citizens.enrol", next=safe_next(request.args.get("next"), "") or None),
    )


@bp.route("/connexion/mot-de-passe", methods=["GET", "POST"])
@limiter.limit("60/minute", methods=["POST"])
def password() -> Response | str:
    """Step 2: the password, under the account's image and phrase if this browser knows it."""
    started = session.get(SIGNIN_KEY)
    if not isinstance(started, dict) or not started.get("user_code"):
        return redirect(url_for("citizens.login"))
    user_code = str(started["user_code"])
    form = PasswordForm()
    error = None
    waiting = False
    if form.validate_on_submit():
        rt = runtime()
        try:
            user_session, token = sign_in_with_password(
                db.session,
                rt,
                user_code=user_code,
                password=form.password.data or "",
                public_computer=bool(started.get("public")),
                client=client_info(),
                portal=Portal.CITIZEN,
            )
        except ThrottledError as exc:
            db.session.commit()
            error, waiting = throttled_message(exc), True
        except AuthenticationFailedError as exc:
            db.session.commit()
            error, waiting = failed_sign_in_message(exc), must_wait(exc)
        else:
            return _after_password(
                user_session,
                token,
                public=bool(started.get("public")),
                code_only=bool(started.get("code_only")),
            )
        form.password.data = ""
    return render_template(
        "citizens/password.html",
        form=form,
        error=error,
        waiting=waiting,
        user_code=user_code,
        recognised=_recognised_profile(user_code),
    )


def _recognised_profile(user_code: str) -> dict[str, str] | None:
    """The image and phrase to show, only to a browser that signed in to this account before."""
    account = find_by_user_code(db.session, user_code)
    if account is None or not account.is_citizen or not device.recognises(account.id):
        return None
    profile = citizen_account.profile_of(db.session, account)
    chosen = catalogue.image(profile.image_key)
    return {
        "image": profile.image_key,
        "alt": chosen.label(page_language()) if chosen else "",
        "phrase": profile.personal_phrase,
    }


def _after_password(
    user_session: UserSession, token: str, *, public: bool, code_only: bool
) -> Response:
    """Send the code; if the email cannot be used, the security question is the way on."""
    replace_previous_session()
    # The pending sign-in is kept even if the code cannot be sent: the question remains.
    db.session.commit()
    next_url = session.get(NEXT_KEY)
    set_session_token(token, persistent=not public)
    if next_url:
        session[NEXT_KEY] = next_url
    if code_only:
        session[CODE_ONLY_KEY] = True
    error = send_code_or_explain(user_session, first_of_sign_in=True)
    if error is not None and code_only:
        flash(error, "error")
        return redirect(url_for("mfa.verify"))
    if error is not None:
        flash(
            _("%(error)s You can answer one of your security questions instead.", error=error),
            "info",
        )
        return redirect(url_for("citizens.question"))
    return redirect(url_for("mfa.verify"))


def _pending_citizen_session() -> UserSession | None:
    user_session = current_session()
    if (
        user_session is None
        or user_session.stage != SessionStage.PENDING_CODE
        or not user_session.account.is_citizen
    ):
        return None
    return user_session


@bp.route("/connexion/question", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def question() -> Response | str:
    """Step 3, when the emailed code cannot be used: one of the four security questions."""
    user_session = _pending_citizen_session()
    if user_session is None:
        flash(_("Your sign-in has expired. Please start again."), "info")
        return redirect(url_for("citizens.login"))
    if session.get(CODE_ONLY_KEY):
        flash(_("The service you are going to asks for the code sent by email."), "info")
        return redirect(url_for("mfa.verify"))
    rt = runtime()
    asked = asked_question(db.session, rt, user_session)
    form = AnswerForm()
    waiting = False
    if form.validate_on_submit():
        try:
            token = answer_question(
                db.session, rt, user_session, form.answer.data or "", client=client_info()
            )
        except ThrottledError as exc:
            db.session.commit()  # the refusal's audit event
            form.answer.errors = [*form.answer.errors, throttled_message(exc)]
            waiting = True
        except CodeError as exc:
            db.session.commit()
            if exc.details.get("reason") == "voided":
                clear_session_token()
                flash(str(exc.message), "error")
                return redirect(url_for("citizens.login"))
            form.answer.errors = [*form.answer.errors, str(exc.message)]
            form.answer.data = ""
        else:
            return complete_sign_in(user_session, token)
    chosen = catalogue.question(asked.question_key)
    return render_template(
        "citizens/question.html",
        form=form,
        waiting=waiting,
        question=chosen.label(page_language()) if chosen else asked.question_key,
    )
