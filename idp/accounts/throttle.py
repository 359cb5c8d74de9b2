"""Sign-in throttling per user code and per client IP: progressive delay, then a lock.

Counters live in a `limits` storage: in memory by default, Redis when ``IDP_REDIS_URL`` is set,
so every worker sees the same counts. Failures are counted per *typed* user code, known or not,
so the throttle answers the same for an unknown code and a real one (no enumeration).

Each key has delay tiers (``3/minute;6/10 minutes``): once a tier's failures are used up the
person waits until its moving window lets one more through. Past the lock tier the key is locked
for ``signin_lock_seconds`` whatever the windows say.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from idp.config import Settings

_NAMESPACE = "idp-signin"


@dataclass(frozen=True, slots=True)
class ThrottleState:
    """Whether an attempt may go ahead now, and if not, until when and whether it is a lock."""

    retry_at: datetime | None = None
    locked: bool = False

    @property
    def allowed(self) -> bool:
        return self.retry_at is None


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    """What recording a failure changed: a lock just set, for the audit trail."""

    account_locked: bool = False
    ip_locked: bool = False
    state: ThrottleState = ThrottleState()


class SignInThrottle:
    """Counts sign-in failures and says when the next attempt may be made."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.storage: Storage = storage or cast(
            Storage, storage_from_string(settings.rate_limit_storage_uri)
        )
        self._limiter = MovingWindowRateLimiter(self.storage)
        self._lock_seconds = settings.signin_lock_seconds
        self._tiers = {
            "account": (
                parse_many(settings.signin_account_delays),
                parse_many(settings.signin_account_lock_failures),
            ),
            "ip": (
                parse_many(settings.signin_ip_delays),
                parse_many(settings.signin_ip_lock_failures),
            ),
        }

    # -- queries ---------------------------------------------------------------------------

    def check(self, user_code: str, client_ip: str) -> ThrottleState:
        """The state for this attempt: locks first, then the delay tiers."""
        states = [self._state("account", _key(user_code)), self._state("ip", client_ip)]
        blocked = [s for s in states if not s.allowed]
        if not blocked:
            return ThrottleState()
        return ThrottleState(
            retry_at=max(s.retry_at for s in blocked if s.retry_at),
            locked=any(s.locked for s in blocked),
        )

    def is_locked(self, user_code: str) -> bool:
        return self._lock_expiry("account", _key(user_code)) is not None

    # -- changes ---------------------------------------------------------------------------

    def record_failure(self, user_code: str, client_ip: str) -> FailureOutcome:
        account_locked = self._hit("account", _key(user_code))
        ip_locked = self._hit("ip", client_ip)
        return FailureOutcome(account_locked, ip_locked, self.check(user_code, client_ip))

    def record_success(self, user_code: str) -> None:
        """A complete sign-in forgives the user code's earlier failures (not the IP's)."""
        self._clear("account", _key(user_code), keep_lock=True)

    def unlock(self, user_code: str) -> None:
        """Lift a lock and forget the failures (an administrator's decision)."""
        self._clear("account", _key(user_code), keep_lock=False)

    # -- internals -------------------------------------------------------------------------

    def _hit(self, kind: str, identifier: str) -> bool:
        """Count one failure; True when it is the one that sets the lock."""
        delays, lock = self._tiers[kind]
        for item in delays:
            self._limiter.hit(item, _NAMESPACE, kind, identifier)
        newly_locked = False
        for item in lock:
            self._limiter.hit(item, _NAMESPACE, kind, identifier)
            # The failure that uses up the lock tier sets the lock.
            exhausted = not self._limiter.test(item, _NAMESPACE, kind, identifier)
            if exhausted:
                # Set-if-absent in one atomic step: of failures arriving together on several
                # workers, only the first to increment sets (and records) the lock.
                key = self._lock_key(kind, identifier)
                first = self.storage.incr(key, self._lock_seconds) == 1
                newly_locked = newly_locked or first
        return newly_locked

    def _state(self, kind: str, identifier: str) -> ThrottleState:
        lock_expiry = self._lock_expiry(kind, identifier)
        if lock_expiry is not None:
            return ThrottleState(retry_at=lock_expiry, locked=True)
        delays, _ = self._tiers[kind]
        waits = [self._reset_if_exhausted(item, kind, identifier) for item in delays]
        waits_set = [w for w in waits if w is not None]
        return ThrottleState(retry_at=max(waits_set)) if waits_set else ThrottleState()

    def _reset_if_exhausted(
        self, item: RateLimitItem, kind: str, identifier: str
    ) -> datetime | None:
        if self._limiter.test(item, _NAMESPACE, kind, identifier):
            return None
        stats = self._limiter.get_window_stats(item, _NAMESPACE, kind, identifier)
        return datetime.fromtimestamp(stats.reset_time, UTC)

    def _lock_expiry(self, kind: str, identifier: str) -> datetime | None:
        key = self._lock_key(kind, identifier)
        if self.storage.get(key) <= 0:
            return None
        return datetime.fromtimestamp(self.storage.get_expiry(key), UTC)

    def _clear(self, kind: str, identifier: str, *, keep_lock: bool) -> None:
        delays, lock = self._tiers[kind]
        for item in [*delays, *([] if keep_lock else lock)]:
            self._limiter.clear(item, _NAMESPACE, kind, identifier)
        if not keep_lock:
            self.storage.clear(self._lock_key(kind, identifier))

    @staticmethod
    def _lock_key(kind: str, identifier: str) -> str:
        return f"{_NAMESPACE}/lock/{kind}/{identifier}"


def _key(user_code: str) -> str:
    # Hashed so arbitrary input (any length, any characters) makes a safe storage key.
    return hashlib.sha256(user_code.encode("utf-8")).hexdigest()[:32]
