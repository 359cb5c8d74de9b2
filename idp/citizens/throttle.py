"""Failed identity checks at enrolment, counted per client IP and per social insurance number.

The four facts asked are secrets of the person; guessing them must be slow. Counters live in
the sign-in throttle's storage (Redis when ``IDP_REDIS_URL`` is set), keyed by the SIN's keyed
hash, never the number.
"""

from __future__ import annotations

from datetime import UTC, datetime

from limits import RateLimitItem, parse_many
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from idp.config import Settings

_NAMESPACE = "idp-identity-check"


class IdentityCheckThrottle:
    def __init__(self, settings: Settings, storage: Storage) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._tiers = {
            "ip": parse_many(settings.citizen_identity_ip_limits),
            "sin": parse_many(settings.citizen_identity_sin_limits),
        }

    def retry_at(self, ip: str, sin_hash: str) -> datetime | None:
        """None when a check may be made now; else when the next one may."""
        waits = [
            self._limiter.get_window_stats(tier, _NAMESPACE, kind, key).reset_time
            for kind, key in (("ip", ip), ("sin", sin_hash))
            for tier in self._tiers[kind]
            if not self._limiter.test(tier, _NAMESPACE, kind, key)
        ]
        return datetime.fromtimestamp(max(waits), UTC) if waits else None

    def record_failure(self, ip: str, sin_hash: str) -> None:
        for kind, key in (("ip", ip), ("sin", sin_hash)):
            tiers: list[RateLimitItem] = self._tiers[kind]
            for tier in tiers:
                self._limiter.hit(tier, _NAMESPACE, kind, key)
