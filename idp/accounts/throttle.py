"""Sign-in throttling per user code and per client IP: progressive delay, then a lock.

Every guess of a secret (the password at sign-in or in the change-password form, a citizen's
security answer) first *reserves* its place in the windows of the typed user code and of the
client IP (:mod:`idp.accounts.attempts`): a guess is checked only if every window had room, so
no more guesses are ever checked per window than it allows, whatever arrives at once. A right
guess gives its place back; a wrong one stays counted. Counts are per *typed* user code, known
or not, so the throttle answers the same for an unknown code and a real one (no enumeration).

Each key has delay tiers (``3/minute;6/10 minutes``): once a tier is full the person waits until
its moving window lets one more through. The failure that fills the lock tier locks the key for
``signin_lock_seconds`` whatever the windows say.

The windows live in Redis when ``IDP_REDIS_URL`` is set, so every worker sees the same counts;
in this process's memory otherwise (one worker: see docs/deploy.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string

from idp.accounts import attempts
from idp.accounts.attempts import Window
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
class Reservation:
    """A guess's place in the windows, or why it may not be made (``blocked``)."""

    token: str
    user_code_key: str
    ip: str
    windows: tuple[Window, ...] = ()
    blocked: ThrottleState = field(default_factory=ThrottleState)

    @property
    def allowed(self) -> bool:
        return self.blocked.allowed


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    """What counting a failure changed: a lock just set (for the audit trail), the state for
    the next attempt, and how many more failures the user code may have before a wait."""

    account_locked: bool = False
    ip_locked: bool = False
    state: ThrottleState = ThrottleState()
    remaining: int = 0


class SignInThrottle:
    """Reserves guesses, counts failures and says when the next attempt may be made."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        # The `limits` storage also holds the identity-check counters (idp.citizens.throttle);
        # the attempt ledger lives beside it, in Redis when it is Redis.
        self.storage: Storage = storage or cast(
            Storage, storage_from_string(settings.rate_limit_storage_uri)
        )
        self.ledger = attempts.ledger_for(self.storage)
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

    # -- a guess -----------------------------------------------------------------------------

    def reserve(
        self, user_code: str, client_ip: str, *, extra: Sequence[Window] = ()
    ) -> Reservation:
        """Take a place for one guess in every window (and ``extra`` ones), or say why not.

        Locks are checked first; then, atomically, every window must have room.
        """
        key = _key(user_code)
        windows = (*self._windows("account", key), *self._windows("ip", client_ip), *extra)
        locks = [self._lock_key("account", key), self._lock_key("ip", client_ip)]
        token = attempts.new_token()
        blocked = self.ledger.reserve(windows, locks, token, attempts.now())
        state = _state(blocked.retry_at, blocked.locked) if blocked else ThrottleState()
        return Reservation(token, key, client_ip, windows, state)

    def give_back(self, reservation: Reservation) -> None:
        """The guess was right: it does not count."""
        if reservation.allowed:
            self.ledger.give_back([w.key for w in reservation.windows], reservation.token)

    def count_failure(self, reservation: Reservation) -> FailureOutcome:
        """The guess was wrong: it stays counted; the failure that fills a lock tier locks."""
        now = attempts.now()
        account_locked = self._lock_if_full("account", reservation.user_code_key, now)
        ip_locked = self._lock_if_full("ip", reservation.ip, now)
        account_windows = self._windows("account", reservation.user_code_key)
        counts = self.ledger.counts(account_windows, now)
        remaining = min(w.limit - n for w, n in zip(account_windows, counts, strict=True))
        return FailureOutcome(
            account_locked,
            ip_locked,
            self._check(reservation.user_code_key, reservation.ip),
            max(remaining, 0),
        )

    # -- queries -----------------------------------------------------------------------------

    def check(self, user_code: str, client_ip: str) -> ThrottleState:
        """Whether a guess could be made now (nothing is reserved)."""
        return self._check(_key(user_code), client_ip)

    def is_locked(self, user_code: str) -> bool:
        lock = self._lock_key("account", _key(user_code))
        return self.ledger.lock_expiry(lock, attempts.now()) is not None

    # -- decisions ---------------------------------------------------------------------------

    def record_success(self, user_code: str) -> None:
        """A complete sign-in forgives the user code's earlier delays (not its lock tier,
        whose failures an attacker would otherwise see erased by each sign-in of the owner,
        nor the IP's)."""
        key = _key(user_code)
        delays, _lock = self._tiers["account"]
        self.ledger.clear([_window("account", key, item).key for item in delays])

    def unlock(self, user_code: str) -> None:
        """Lift a lock and forget the failures (an administrator's decision)."""
        key = _key(user_code)
        windows = self._windows("account", key)
        self.ledger.clear([*(w.key for w in windows), self._lock_key("account", key)])

    def reset(self) -> None:
        """Forget every counter (tests)."""
        self.storage.reset()
        if isinstance(self.ledger, attempts.MemoryAttemptLedger):
            self.ledger = attempts.MemoryAttemptLedger()

    # -- internals ---------------------------------------------------------------------------

    def _check(self, key: str, client_ip: str) -> ThrottleState:
        windows = (*self._windows("account", key), *self._windows("ip", client_ip))
        locks = [self._lock_key("account", key), self._lock_key("ip", client_ip)]
        blocked = self.ledger.reserve(windows, locks, None, attempts.now())
        return _state(blocked.retry_at, blocked.locked) if blocked else ThrottleState()

    def _windows(self, kind: str, identifier: str) -> tuple[Window, ...]:
        delays, lock = self._tiers[kind]
        return tuple(_window(kind, identifier, item) for item in (*delays, *lock))

    def _lock_if_full(self, kind: str, identifier: str, now: float) -> bool:
        _delays, lock_tiers = self._tiers[kind]
        lock = self._lock_key(kind, identifier)
        newly_locked = False
        for item in lock_tiers:
            window = _window(kind, identifier, item)
            # Set-if-absent in one atomic step: of failures arriving together on several
            # workers, only one sets (and records) the lock.
            newly_locked = self.ledger.lock_if_full(window, lock, self._lock_seconds, now) or (
                newly_locked
            )
        return newly_locked

    @staticmethod
    def _lock_key(kind: str, identifier: str) -> str:
        return f"{_NAMESPACE}/lock/{kind}/{identifier}"


def _window(kind: str, identifier: str, item: RateLimitItem) -> Window:
    seconds = item.get_expiry()
    return Window(f"{_NAMESPACE}/{kind}/{identifier}/{item.amount}-{seconds}", item.amount, seconds)


def _state(retry_at: float, locked: bool) -> ThrottleState:
    return ThrottleState(retry_at=datetime.fromtimestamp(retry_at, UTC), locked=locked)


def _key(user_code: str) -> str:
    # Hashed so arbitrary input (any length, any characters) makes a safe storage key.
    return hashlib.sha256(user_code.encode("utf-8")).hexdigest()[:32]
