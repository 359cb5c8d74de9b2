"""Creating an account: four steps kept server-side, then the emailed link."""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.citizens import catalogue, device, enrolment
from idp.citizens.forms import ConfirmForm, IdentityForm, ImageForm, NewPasswordForm, QuestionsForm
from idp.citizens.mail import send_notice
from idp.citizens.models import CitizenEnrolment
from idp.citizens.views.common import ENROLMENT_KEY, NEXT_KEY, bp, field_error, link_invalid
from idp.errors import (
    AlreadyEnrolledError,
    DeliveryError,
    IdentityNotConfirmedError,
    NotFoundError,
    ServiceUnavailableError,
    ThrottledError,
    ValidationError,
)
from idp.extensions import db, limiter
from idp.mfa.views import mask_email
from idp.web.context import client_info, runtime
from idp.web.i18n import page_language, safe_next
from idp.web.messages import throttled_message


@bp.get("/inscription")
def enrol() -> str:
    """What creating an account takes, before starting."""
    next_url = safe_next(request.args.get("next"), "")
    if next_url:
        session[NEXT_KEY] = next_url
    return render_template("citizens/enrol_start.html")


def _current_enrolment() -> CitizenEnrolment | None:
    return enrolment.find_enrolment(db.session, runtime(), session.get(ENROLMENT_KEY))


def _to_step(current: CitizenEnrolment | None) -> Response:
    if current is None:
        flash(
            _("Your account creation has expired or was not started. Please start again."), "info"
        )
        return redirect(url_for("citizens.enrol"))
    step = enrolment.next_step(current)
    endpoint = "citizens.enrol_sent" if step == "done" else f"citizens.enrol_{step}"
    return redirect(url_for(endpoint))


def _wizard(template: str, current_step: int, **context: Any) -> str:
    return render_template(template, current_step=current_step, total_steps=4, **context)


@bp.route("/inscription/identite", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def enrol_identity() -> Response | str:
    form = IdentityForm()
    error = None
    if form.validate_on_submit():
        rt = runtime()
        step = enrolment.IdentityStep(
            sin=form.sin.data or "",
            access_code=form.access_code.data or "",
            notice_number=form.notice_number.data or "",
            given_name=form.given_name.data or "",
            family_name=form.family_name.data or "",
            email=form.email.data or "",
        )
        try:
            created, token = enrolment.start_enrolment(
                db.session,
                rt,
                step,
                locale=page_language(),
                next_url=safe_next(session.get(NEXT_KEY), "") or None,
                client=client_info(),
            )
        except ValidationError as exc:
            db.session.rollback()
            field_error(form, exc, "sin")
        except ThrottledError as exc:
            db.session.commit()
            error = throttled_message(exc)
        except (IdentityNotConfirmedError, AlreadyEnrolledError, ServiceUnavailableError) as exc:
            db.session.commit()
            error = str(exc.message)
        else:
            db.session.commit()
            session[ENROLMENT_KEY] = token
            return redirect(url_for("citizens.enrol_image"))
    return _wizard("citizens/enrol_identity.html", 1, form=form, error=error)


@bp.route("/inscription/image", methods=["GET", "POST"])
def enrol_image() -> Response | str:
    current = _current_enrolment()
    if current is None:
        return _to_step(None)
    form = ImageForm(
        data={"image": current.image_key, "phrase": current.personal_phrase}
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            enrolment.choose_image(current, form.image.data or "", form.phrase.data or "")
        except ValidationError as exc:
            field_error(form, exc, "image")
        else:
            db.session.commit()
            return redirect(url_for("citizens.enrol_questions"))
    return _wizard("citizens/enrol_image.html", 2, form=form, images=catalogue.IMAGES)


@bp.route("/inscription/questions", methods=["GET", "POST"])
def enrol_questions() -> Response | str:
    current = _current_enrolment()
    if current is None or not current.image_key:
        return _to_step(current)
    form = QuestionsForm()
    if form.validate_on_submit():
        try:
            enrolment.choose_questions(runtime(), current, form.pairs())
        except ValidationError as exc:
            field_error(form, exc, "question_1")
        else:
            db.session.commit()
            return redirect(url_for("citizens.enrol_password"))
    return _wizard("citizens/enrol_questions.html", 3, form=form)


@bp.route("/inscription/mot-de-passe", methods=["GET", "POST"])
def enrol_password() -> Response | str:
    current = _current_enrolment()
    if current is None or enrolment.next_step(current) not in {"password", "done"}:
        return _to_step(current)
    form = NewPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            enrolment.choose_password(
                db.session,
                runtime(),
                current,
                form.new_password.data or "",
                base_url=runtime().settings.issuer,
                client=client_info(),
            )
        except ValidationError as exc:
            db.session.rollback()
            field_error(form, exc, "new_password")
        except DeliveryError:
            db.session.rollback()
            error = _(
                "We could not send the email to activate your account. Nothing you entered is "
                "lost; please try again in a few minutes."
            )
        else:
            db.session.commit()
            return redirect(url_for("citizens.enrol_sent"))
    return _wizard(
        "citizens/enrol_password.html", 4, form=form, error=error, name=current.given_name
    )


@bp.route("/inscription/courriel", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def enrol_sent() -> Response | str:
    """The link is on its way; it can be sent again."""
    current = _current_enrolment()
    if current is None or enrolment.next_step(current) != "done":
        return _to_step(current)
    form = ConfirmForm()
    if form.validate_on_submit():
        rt = runtime()
        sent_at = current.confirmation_sent_at
        if (
            sent_at is not None
            and (rt.clock() - sent_at).total_seconds() < rt.settings.mfa_resend_cooldown_seconds
        ):
            flash(
                _("The link was sent less than a minute ago. Check your mailbox, then try again."),
                "info",
            )
        else:
            try:
                enrolment.send_confirmation(
                    db.session, rt, current, base_url=rt.settings.issuer, client=client_info()
                )
            except DeliveryError:
                db.session.rollback()
                flash(_("We could not send the email. Please try again in a few minutes."), "error")
            else:
                db.session.commit()
                flash(_("A new link was sent. Only the newest link works."), "success")
        return redirect(url_for("citizens.enrol_sent"))
    return render_template(
        "citizens/enrol_sent.html",
        form=form,
        masked_email=mask_email(current.email),
        hours=runtime().settings.citizen_link_seconds // 3600,
    )


@bp.route("/inscription/confirmer/<token>", methods=["GET", "POST"])
@limiter.limit("20/minute")
def enrol_confirm(token: str) -> Response | str | tuple[str, int]:
    """The emailed link: a button activates the account (a GET changes nothing)."""
    rt = runtime()
    try:
        pending = enrolment.find_by_link(db.session, rt, token)
    except NotFoundError as exc:
        return link_invalid(exc)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            locale = pending.locale
            next_url = pending.next_url
            created = enrolment.confirm_enrolment(db.session, rt, pending, client=client_info())
        except (NotFoundError, AlreadyEnrolledError) as exc:
            db.session.commit()
            return link_invalid(exc, 409)
        db.session.commit()
        session.pop(ENROLMENT_KEY, None)
        # The page shows the user code; the email only repeats it.
        send_notice(rt, enrolment.active_account_message(rt, created, locale))
        response = make_response(
            render_template(
                "citizens/enrol_done.html",
                account=created,
                sign_in_url=url_for("citizens.login", next=next_url, login_hint=created.user_code),
            )
        )
        device.remember(response, created.id)
        return response
    return render_template(
        "citizens/enrol_confirm.html",
        form=form,
        name=pending.given_name,
        email=mask_email(pending.email),
    )
