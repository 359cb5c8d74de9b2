"""The three-years-minus-a-day limit, at its boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from idp.proxies.validity import latest_end


@pytest.mark.parametrize(
    ("start", "latest"),
    [
        (date(2026, 11, 22), date(2029, 11, 21)),
        (date(2026, 1, 1), date(2028, 12, 31)),
        (date(2027, 3, 1), date(2030, 2, 28)),
        (date(2028, 2, 29), date(2031, 2, 27)),  # leap day: 28 February three years on, less a day
        (date(2029, 3, 1), date(2032, 2, 29)),  # the day before lands on a leap day
    ],
)
def test_latest_end(start, latest):
    assert latest_end(start) == latest
