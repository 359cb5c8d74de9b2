"""Step-up: sensitive actions need the emailed code entered within the last few minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from idp.errors import StepUpRequiredError
from idp.runtime import Runtime


def is_recent(runtime: Runtime, verified_at: datetime | None) -> bool:
    """The code was entered within the step-up window (``mfa_step_up_window_seconds``)."""
    window = timedelta(seconds=runtime.settings.mfa_step_up_window_seconds)
    return verified_at is not None and runtime.clock() - verified_at <= window


def require_recent_code(runtime: Runtime, verified_at: datetime | None) -> None:
    """Raise :class:`StepUpRequiredError` unless the code was entered within the window."""
    if not is_recent(runtime, verified_at):
        raise StepUpRequiredError(
            _l("For this action, enter the code we send to your email address.")
        )
