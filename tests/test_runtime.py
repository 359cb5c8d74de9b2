"""The collaborators services share: the date in Québec."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.conftest import MutableClock


def test_today_is_the_date_in_quebec(runtime, clock: MutableClock):
    # 02:00 UTC is still the evening before in Québec (UTC-5 in November).
    clock.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert runtime.today() == date(2026, 11, 22)
    clock.now = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert runtime.today() == date(2026, 11, 23)
    # Summer time: UTC-4.
    clock.now = datetime(2027, 7, 1, 3, 59, tzinfo=UTC)
    assert runtime.today() == date(2027, 6, 30)
