"""The attempt ledger: atomic reservations in moving windows, given back on success, on both
stores (this process's memory, and Redis shared by workers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from limits.storage import storage_from_string

from idp.accounts.attempts import (
    AttemptLedger,
    MemoryAttemptLedger,
    RedisAttemptLedger,
    Window,
    ledger_for,
    new_token,
)
from tests.concurrency import fire_together
from tests.conftest import REDIS_URL_FOR_STORAGE_TESTS

NOW = 1_790_000_000.0
FIVE_A_MINUTE = Window("test/five", 5, 60)
TEN_AN_HOUR = Window("test/ten", 10, 3600)
LOCK = "test/lock"


@pytest.fixture(params=["memory", "redis"])
def ledger(request: pytest.FixtureRequest) -> Iterator[AttemptLedger]:
    if request.param == "memory":
        yield MemoryAttemptLedger()
        return
    storage = storage_from_string(REDIS_URL_FOR_STORAGE_TESTS)
    redis_ledger = ledger_for(storage)
    assert isinstance(redis_ledger, RedisAttemptLedger)
    redis_ledger.clear([FIVE_A_MINUTE.key, TEN_AN_HOUR.key, LOCK])
    yield redis_ledger
    redis_ledger.clear([FIVE_A_MINUTE.key, TEN_AN_HOUR.key, LOCK])


def test_a_full_window_refuses_until_its_oldest_entry_leaves(ledger: AttemptLedger) -> None:
    for second in range(5):
        assert ledger.reserve([FIVE_A_MINUTE], [], new_token(), NOW + second) is None
    blocked = ledger.reserve([FIVE_A_MINUTE], [], new_token(), NOW + 10)
    assert blocked is not None
    assert not blocked.locked
    assert blocked.retry_at == pytest.approx(NOW + 60)
    assert ledger.reserve([FIVE_A_MINUTE], [], new_token(), NOW + 60.5) is None


def test_a_refused_reservation_counts_in_no_window(ledger: AttemptLedger) -> None:
    """All or nothing: a guess refused by one window takes no place in the others."""
    for _ in range(5):
        ledger.reserve([FIVE_A_MINUTE], [], new_token(), NOW)
    assert ledger.reserve([TEN_AN_HOUR, FIVE_A_MINUTE], [], new_token(), NOW) is not None
    assert ledger.counts([TEN_AN_HOUR], NOW) == [0]


def test_checking_reserves_nothing(ledger: AttemptLedger) -> None:
    for _ in range(10):
        assert ledger.reserve([FIVE_A_MINUTE], [], None, NOW) is None
    assert ledger.counts([FIVE_A_MINUTE], NOW) == [0]


def test_giving_back_frees_the_place(ledger: AttemptLedger) -> None:
    tokens = [new_token() for _ in range(5)]
    for token in tokens:
        ledger.reserve([FIVE_A_MINUTE, TEN_AN_HOUR], [], token, NOW)
    ledger.give_back([FIVE_A_MINUTE.key, TEN_AN_HOUR.key], tokens[2])
    assert ledger.counts([FIVE_A_MINUTE, TEN_AN_HOUR], NOW) == [4, 4]
    assert ledger.reserve([FIVE_A_MINUTE], [], new_token(), NOW) is None


def test_a_lock_is_set_once_and_refuses_until_it_ends(ledger: AttemptLedger) -> None:
    for _ in range(4):
        ledger.reserve([FIVE_A_MINUTE], [], new_token(), NOW)
    assert not ledger.lock_if_full(FIVE_A_MINUTE, LOCK, 1800, NOW)
    ledger.reserve([FIVE_A_MINUTE], [], new_token(), NOW)
    assert ledger.lock_if_full(FIVE_A_MINUTE, LOCK, 1800, NOW)
    assert not ledger.lock_if_full(FIVE_A_MINUTE, LOCK, 1800, NOW)  # already set
    blocked = ledger.reserve([TEN_AN_HOUR], [LOCK], new_token(), NOW + 1)
    assert blocked is not None
    assert blocked.locked
    expiry = ledger.lock_expiry(LOCK, NOW)
    assert expiry is not None
    assert expiry == pytest.approx(NOW + 1800, abs=2)
    ledger.clear([LOCK])
    assert ledger.reserve([TEN_AN_HOUR], [LOCK], new_token(), NOW + 1) is None


def test_simultaneous_reservations_never_exceed_the_window(ledger: AttemptLedger) -> None:
    """Fifty threads at once: exactly five get a place."""
    # Each call answers a one-item tuple: a refusal, or None for a place taken.
    outcomes = fire_together(
        [lambda: (ledger.reserve([FIVE_A_MINUTE], [], new_token(), NOW),) for _ in range(50)]
    )
    assert sum(1 for (blocked,) in outcomes if blocked is None) == 5
    assert ledger.counts([FIVE_A_MINUTE], NOW) == [5]


def test_simultaneous_failures_set_one_lock(ledger: AttemptLedger) -> None:
    for _ in range(5):
        ledger.reserve([FIVE_A_MINUTE], [], new_token(), NOW)
    set_it = fire_together(
        [lambda: ledger.lock_if_full(FIVE_A_MINUTE, LOCK, 60, NOW) for _ in range(20)]
    )
    assert set_it.count(True) == 1
