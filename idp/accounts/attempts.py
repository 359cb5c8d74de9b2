"""Moving windows of guesses, reserved atomically before a secret is checked, given back after.

Counting a failure only once the password (or answer) has been checked lets a burst of
simultaneous requests all pass the check before the first failure is counted. Here every
attempt first *reserves* its place in each window it counts against, in one atomic step that
refuses when any window is full or any lock is set; a right guess then gives its place back.
So no more guesses are ever checked per window than the window allows, however many requests
arrive at once and on however many workers share the store.

`limits` (used for the per-route rate limits) has no way to give an entry back, hence this small
ledger: a sorted set of attempt tokens scored by time per window, in Redis (one Lua script per
operation, one round trip) or in this process's memory (one lock) when no Redis is configured.
"""

from __future__ import annotations

import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from limits.storage import RedisStorage, Storage


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` attempts counted under ``key`` in any ``seconds`` long period."""

    key: str
    limit: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why an attempt may not be made now, and from when (a Unix time) it may."""

    retry_at: float
    locked: bool


class AttemptLedger(ABC):
    """The store of the windows and locks; every operation is atomic."""

    @abstractmethod
    def reserve(
        self, windows: Sequence[Window], locks: Sequence[str], token: str | None, now: float
    ) -> Blocked | None:
        """Count ``token`` in every window, unless a lock is set or a window is full.

        With no ``token``, only say whether an attempt could be made now.
        """

    @abstractmethod
    def give_back(self, keys: Sequence[str], token: str) -> None:
        """Remove ``token`` from those windows (the attempt succeeded)."""

    @abstractmethod
    def lock_if_full(self, window: Window, lock: str, lock_seconds: int, now: float) -> bool:
        """Set ``lock`` if ``window`` is full; True only for the call that set it."""

    @abstractmethod
    def counts(self, windows: Sequence[Window], now: float) -> list[int]:
        """How many attempts each window holds now."""

    @abstractmethod
    def lock_expiry(self, lock: str, now: float) -> float | None:
        """When ``lock`` ends, if it is set."""

    @abstractmethod
    def clear(self, keys: Sequence[str]) -> None:
        """Forget windows and locks."""


def new_token() -> str:
    return secrets.token_hex(12)


def ledger_for(storage: Storage) -> AttemptLedger:
    """The ledger living beside the rate-limit counters: in Redis when they are."""
    if isinstance(storage, RedisStorage):
        return RedisAttemptLedger(storage)
    return MemoryAttemptLedger()


class MemoryAttemptLedger(AttemptLedger):
    """One process's ledger (development, tests, a single worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, list[tuple[float, str]]] = {}
        self._locks: dict[str, float] = {}

    def reserve(
        self, windows: Sequence[Window], locks: Sequence[str], token: str | None, now: float
    ) -> Blocked | None:
        with self._lock:
            lock_ends = [end for end in (self._lock_end(k, now) for k in locks) if end]
            if lock_ends:
                return Blocked(max(lock_ends), locked=True)
            waits = []
            for window in windows:
                entries = self._trimmed(window, now)
                if len(entries) >= window.limit:
                    waits.append(entries[len(entries) - window.limit][0] + window.seconds)
            if waits:
                return Blocked(max(waits), locked=False)
            if token is not None:
                for window in windows:
                    self._windows.setdefault(window.key, []).append((now, token))
            return None

    def give_back(self, keys: Sequence[str], token: str) -> None:
        with self._lock:
            for key in keys:
                entries = self._windows.get(key, [])
                self._windows[key] = [entry for entry in entries if entry[1] != token]

    def lock_if_full(self, window: Window, lock: str, lock_seconds: int, now: float) -> bool:
        with self._lock:
            if len(self._trimmed(window, now)) < window.limit or self._lock_end(lock, now):
                return False
            self._locks[lock] = now + lock_seconds
            return True

    def counts(self, windows: Sequence[Window], now: float) -> list[int]:
        with self._lock:
            return [len(self._trimmed(window, now)) for window in windows]

    def lock_expiry(self, lock: str, now: float) -> float | None:
        with self._lock:
            return self._lock_end(lock, now)

    def clear(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                self._windows.pop(key, None)
                self._locks.pop(key, None)

    def _trimmed(self, window: Window, now: float) -> list[tuple[float, str]]:
        entries = [e for e in self._windows.get(window.key, []) if e[0] > now - window.seconds]
        self._windows[window.key] = entries
        return entries

    def _lock_end(self, lock: str, now: float) -> float | None:
        end = self._locks.get(lock)
        if end is not None and end <= now:
            del self._locks[lock]
            return None
        return end


# KEYS: the locks, then the windows. ARGV: number of locks, now, token (empty: only check), then
# for each window its limit and its length in seconds. Returns {0} when reserved (or free),
# {1, until} when a lock is set, {2, retry_at} when a window is full (times as strings: Redis
# turns Lua numbers into integers).
_RESERVE = """
local n_locks = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local locked_until = nil
for i = 1, n_locks do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl > 0 then
    local ends = now + ttl / 1000
    if locked_until == nil or ends > locked_until then locked_until = ends end
  end
end
if locked_until ~= nil then return {1, tostring(locked_until)} end
local retry_at = nil
for i = n_locks + 1, #KEYS do
  local j = 4 + (i - n_locks - 1) * 2
  local limit, seconds = tonumber(ARGV[j]), tonumber(ARGV[j + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - seconds)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local entry = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    local at = tonumber(entry[2]) + seconds
    if retry_at == nil or at > retry_at then retry_at = at end
  end
end
if retry_at ~= nil then return {2, tostring(retry_at)} end
if ARGV[3] == '' then return {0} end
for i = n_locks + 1, #KEYS do
  local seconds = tonumber(ARGV[4 + (i - n_locks - 1) * 2 + 1])
  redis.call('ZADD', KEYS[i], now, ARGV[3])
  redis.call('EXPIRE', KEYS[i], math.ceil(seconds))
end
return {0}
"""

# KEYS: the window, the lock. ARGV: now, limit, seconds, lock seconds. Returns 1 if it set it.
_LOCK_IF_FULL = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[3]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then return 0 end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[4])) then return 1 end
return 0
"""

# KEYS: the windows. ARGV: now, then each window's length in seconds.
_COUNTS = """
local counts = {}
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[i + 1]))
  counts[i] = redis.call('ZCARD', KEYS[i])
end
return counts
"""


class RedisAttemptLedger(AttemptLedger):
    """Shared by every worker and host using the same Redis; keys under the `limits` prefix,
    so that resetting the rate-limit storage also resets this ledger."""

    def __init__(self, storage: RedisStorage) -> None:
        self._storage = storage
        client: Any = storage.get_connection()
        self._client = client
        self._reserve = client.register_script(_RESERVE)
        self._lock_if_full = client.register_script(_LOCK_IF_FULL)
        self._counts = client.register_script(_COUNTS)

    def _key(self, key: str) -> str:
        return cast(str, self._storage.prefixed_key(key))

    def reserve(
        self, windows: Sequence[Window], locks: Sequence[str], token: str | None, now: float
    ) -> Blocked | None:
        keys = [self._key(k) for k in locks] + [self._key(w.key) for w in windows]
        args: list[Any] = [len(locks), repr(now), token or ""]
        for window in windows:
            args += [window.limit, window.seconds]
        answer = self._reserve(keys=keys, args=args)
        if int(answer[0]) == 0:
            return None
        return Blocked(float(answer[1]), locked=int(answer[0]) == 1)

    def give_back(self, keys: Sequence[str], token: str) -> None:
        pipeline = self._client.pipeline(transaction=False)
        for key in keys:
            pipeline.zrem(self._key(key), token)
        pipeline.execute()

    def lock_if_full(self, window: Window, lock: str, lock_seconds: int, now: float) -> bool:
        keys = [self._key(window.key), self._key(lock)]
        args = [repr(now), window.limit, window.seconds, lock_seconds]
        return int(self._lock_if_full(keys=keys, args=args)) == 1

    def counts(self, windows: Sequence[Window], now: float) -> list[int]:
        if not windows:
            return []
        keys = [self._key(w.key) for w in windows]
        answer = self._counts(keys=keys, args=[repr(now), *(w.seconds for w in windows)])
        return [int(count) for count in answer]

    def lock_expiry(self, lock: str, now: float) -> float | None:
        ttl = int(self._client.pttl(self._key(lock)))
        return now + ttl / 1000 if ttl > 0 else None

    def clear(self, keys: Sequence[str]) -> None:
        if keys:
            self._client.delete(*(self._key(k) for k in keys))


def now() -> float:
    """Wall-clock seconds (the windows are measured in real time, as `limits` measures)."""
    return time.time()
