"""Sentences built from service errors, shared by the views."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import format_datetime, format_time, ngettext
from flask_babel import gettext as _

from idp.errors import AuthenticationFailedError, IdpError, ThrottledError


def shown_time(moment: datetime) -> str:
    """« 14 h 02 »: the minute shown is never before the moment (rounded up), so that a person
    who comes back at the time shown is not refused again."""
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return str(format_time(moment, format="short"))


def throttled_message(error: ThrottledError) -> str:
    """Tell the person until when they must wait, in their language and time zone. What they
    can do meanwhile is on the page beside it (``templates/macros/waiting.html``)."""
    when = shown_time(error.retry_at)
    if error.locked:
        return _(
            "For your security, sign-in is locked after repeated failures, until %(time)s.",
            time=when,
        )
    if error.details.get("scope") == "codes":
        return _(
            "%(reason)s You can ask for a new code from %(time)s.", reason=error.message, time=when
        )
    if error.message is not None:
        return _("%(reason)s You may try again after %(time)s.", reason=error.message, time=when)
    return _("Too many attempts. You may try again after %(time)s.", time=when)


def failed_sign_in_message(error: AuthenticationFailedError) -> str:
    """One answer for an unknown user code, a wrong password or an account that cannot be
    used, with the tries left before a wait (counted per typed user code, known or not, so it
    tells nothing about the account)."""
    wrong = _(
        "The user code or the password is not right, or the account cannot be used. "
        "Check them and try again."
    )
    return f"{wrong} {guesses_left_sentence(error)}".strip()


def guesses_left_sentence(error: IdpError) -> str:
    """« 2 attempts left before a wait », or until when the wait lasts; empty when unknown."""
    remaining = error.details.get("remaining")
    retry_at = error.details.get("retry_at")
    if error.details.get("locked") and retry_at is not None:
        return _(
            "For your security, sign-in with this user code is now locked until %(time)s.",
            time=shown_time(retry_at),
        )
    if remaining == 0 and retry_at is not None:
        return _(
            "For your security, the next attempt must wait until %(time)s.",
            time=shown_time(retry_at),
        )
    if isinstance(remaining, int) and remaining > 0:
        return ngettext(
            "%(num)d attempt left before a wait.", "%(num)d attempts left before a wait.", remaining
        )
    return ""


def must_wait(error: IdpError) -> bool:
    """Whether the person now has to wait (the page then says what they can do)."""
    if isinstance(error, ThrottledError):
        return True
    return error.details.get("remaining") == 0 and error.details.get("retry_at") is not None


def long_datetime(value: object) -> str:
    return str(format_datetime(value, format="long"))
