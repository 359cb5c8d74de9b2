"""The home page of a signed-in person, and the help page about signing in."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask_babel import format_timedelta
from limits import parse_many

from idp.accounts.forms import SignOutForm
from idp.web.context import login_required, runtime, signed_in_session

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    """Who is signed in, for which enterprise, and when the previous access was."""
    user_session = signed_in_session()
    return render_template(
        "home/index.html",
        account=user_session.account,
        enterprise=user_session.account.enterprise,
        ministry=runtime().catalogue.ministry(user_session.account.ministry_key or ""),
        previous_sign_in_at=user_session.previous_sign_in_at,
        public_computer=user_session.public_computer,
        public_idle_minutes=runtime().settings.session_public_idle_timeout_seconds // 60,
        sign_out_form=SignOutForm(),
    )


@bp.get("/aide")
def help() -> str:  # noqa: A001 (the endpoint's name in url_for)
    """What the delays, the lock and the codes are, and who can help: the page the sign-in
    pages point to when a person must wait. Numbers and durations come from the settings."""
    settings = runtime().settings
    first_delay = parse_many(settings.signin_account_delays)[0]
    lock = parse_many(settings.signin_account_lock_failures)[0]
    return render_template(
        "home/help.html",
        delay_failures=first_delay.amount,
        delay_window=_duration(first_delay.get_expiry()),
        lock_failures=lock.amount,
        lock_window=_duration(lock.get_expiry()),
        lock_duration=_duration(settings.signin_lock_seconds),
        code_life=_duration(settings.mfa_code_ttl_seconds),
        code_tries=settings.mfa_max_failed_attempts,
        codes_per_hour=settings.mfa_max_codes_per_hour,
        cooldown=_duration(settings.mfa_resend_cooldown_seconds),
        question_tries=settings.citizen_security_question_attempts,
    )


def _duration(seconds: int) -> str:
    """« 30 minutes », « 1 heure »: in the page's language."""
    return str(format_timedelta(timedelta(seconds=seconds), threshold=1))
