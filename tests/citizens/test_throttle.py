"""Failed identity checks at enrolment: counted per client IP and per SIN hash, separately."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from limits.storage import MemoryStorage

from idp.citizens.throttle import IdentityCheckThrottle
from idp.config import Settings

IP, OTHER_IP = "203.0.113.7", "198.51.100.9"
SIN_A, SIN_B, SIN_C = "a" * 64, "b" * 64, "c" * 64


def throttle(ip_limits: str = "10/hour;30/day", sin_limits: str = "3/hour;5/day"):
    settings = Settings(
        citizen_identity_ip_limits=ip_limits, citizen_identity_sin_limits=sin_limits
    )
    return IdentityCheckThrottle(settings, MemoryStorage())


def test_the_defaults_are_the_settings_defaults():
    settings = Settings()
    assert settings.citizen_identity_ip_limits == "10/hour;30/day"
    assert settings.citizen_identity_sin_limits == "3/hour;5/day"


def test_a_fresh_ip_and_sin_may_check():
    assert throttle().retry_at(IP, SIN_A) is None


def test_a_sin_is_allowed_until_its_tier_is_used_up_from_any_address():
    checks = throttle()
    for failures in range(3):
        assert checks.retry_at(IP, SIN_A) is None, failures
        # Each failure from another address: the SIN's count is the person's, not the address's.
        checks.record_failure(f"192.0.2.{failures}", SIN_A)
    now = datetime.now(UTC)
    for ip in (IP, OTHER_IP, "192.0.2.0"):
        retry_at = checks.retry_at(ip, SIN_A)
        assert retry_at is not None
        assert now < retry_at <= now + timedelta(hours=1, seconds=5)
    # Another SIN, from the same addresses, is not held back.
    assert checks.retry_at(IP, SIN_B) is None
    assert checks.retry_at("192.0.2.0", SIN_B) is None


def test_an_address_is_allowed_until_its_tier_is_used_up_whatever_the_sin():
    checks = throttle(ip_limits="4/hour", sin_limits="3/hour")
    sins = [f"{n:064x}" for n in range(4)]
    for sin in sins:
        assert checks.retry_at(IP, SIN_C) is None
        checks.record_failure(IP, sin)
    now = datetime.now(UTC)
    retry_at = checks.retry_at(IP, SIN_C)
    assert retry_at is not None
    assert now < retry_at <= now + timedelta(hours=1, seconds=5)
    # Each SIN failed once only: from another address, they may be checked.
    assert checks.retry_at(OTHER_IP, SIN_C) is None
    assert all(checks.retry_at(OTHER_IP, sin) is None for sin in sins)


def test_the_longest_wait_of_the_tiers_used_up_is_given():
    checks = throttle(sin_limits="5/hour;2/day")
    checks.record_failure(IP, SIN_A)
    checks.record_failure(OTHER_IP, SIN_A)
    now = datetime.now(UTC)
    retry_at = checks.retry_at("192.0.2.1", SIN_A)
    assert retry_at is not None
    assert now + timedelta(hours=23) < retry_at <= now + timedelta(days=1, seconds=5)


@pytest.mark.parametrize("failures", [1, 2])
def test_under_the_tier_nothing_waits(failures):
    checks = throttle()
    for _ in range(failures):
        checks.record_failure(IP, SIN_A)
    assert checks.retry_at(IP, SIN_A) is None


def test_counters_are_per_storage():
    first = throttle()
    for _ in range(3):
        first.record_failure(IP, SIN_A)
    assert first.retry_at(IP, SIN_A) is not None
    assert throttle().retry_at(IP, SIN_A) is None
