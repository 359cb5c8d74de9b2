"""Step-up: sensitive actions need the emailed code entered within the last few minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from idp.errors import StepUpRequiredError

STEP_UP_WINDOW = timedelta(minutes=10)


def is_recent(verified_at: datetime | None, now: datetime) -> bool:
    return verified_at is not None and now - verified_at <= STEP_UP_WINDOW


def require_recent_code(verified_at: datetime | None, now: datetime) -> None:
    """Raise :class:`StepUpRequiredError` unless the code was entered within the window."""
    if not is_recent(verified_at, now):
        raise StepUpRequiredError(
            _l("For this action, enter the code we send to your email address.")
        )
