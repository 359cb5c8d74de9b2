"""Sentences built from service errors, shared by the views."""

from __future__ import annotations

from flask_babel import format_datetime, format_time
from flask_babel import gettext as _

from idp.errors import ThrottledError


def throttled_message(error: ThrottledError) -> str:
    """Tell the person when they may try again, in their language and time zone."""
    when = format_time(error.retry_at, format="short")
    if error.locked:
        return _(
            "For your security, sign-in is locked after repeated failures. "
            "You may try again after %(time)s.",
            time=when,
        )
    if error.message is not None:
        return _("%(reason)s You may try again after %(time)s.", reason=error.message, time=when)
    return _("Too many attempts. You may try again after %(time)s.", time=when)


def long_datetime(value: object) -> str:
    return str(format_datetime(value, format="long"))
