"""The three-years-minus-a-day limit on a proxy's validity."""

from __future__ import annotations

from datetime import date, timedelta

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
