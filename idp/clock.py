"""Time, injectable: services take a ``clock`` so expiry is tested without sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock: an aware datetime in UTC."""
    return datetime.now(UTC)
