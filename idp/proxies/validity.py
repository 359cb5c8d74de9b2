"""The three-years-minus-a-day limit on a proxy's validity."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from idp.errors import ValidationError

MAX_YEARS = 3


def add_years(day: date, years: int) -> date:
    """Same day and month ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_end(from_day: date) -> date:
    """The last end date allowed for a proxy created or extended on ``from_day``.

    « Valide au plus trois ans moins un jour »: from 2026-11-22, at most 2029-11-21.
    """
    return add_years(from_day, MAX_YEARS) - timedelta(days=1)


def check_end_date(ends_on: date, today: date) -> None:
    """Refuse an end date in the past or past the limit; the message names the latest date."""
    limit = latest_end(today)
    if ends_on < today:
        raise ValidationError(_l("The end date cannot be in the past."), field="ends_on")
    if ends_on > limit:
        raise ValidationError(
            _l(
                "A proxy is valid at most three years less a day: the latest end date is %(date)s.",
                date=format_date(limit, format="long"),
            ),
            field="ends_on",
        )
