"""Throttling: progressive delay per user code and IP, then a lock; lock and unlock audited."""

from __future__ import annotations

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from idp.accounts.throttle import SignInThrottle
from idp.audit.models import AuditEvent
from idp.config import Settings
from idp.extensions import db
from tests.conftest import REDIS_URL_FOR_STORAGE_TESTS


@pytest.fixture
def app_config(app_config):
    """In-memory counters here: these tests travel in time, which a Redis server does not."""
    return {**app_config, "redis_url": None}


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def fail_until_locked(auth, user_code, traveller, max_attempts=40):
    """Keep failing every two minutes, as the delays allow, until the lock is set."""
    for _ in range(max_attempts):
        auth.password_step(user_code, "wrong-password-attempt")
        if _events("accounts:account:lock"):
            return
        traveller.shift(120)
    raise AssertionError("never locked")


def test_progressive_delay_then_lock_then_expiry(auth, person, app):
    with time_machine.travel("2026-11-22 19:00:00+00:00", tick=False) as traveller:
        for _ in range(3):
            auth.password_step(person.user_code, "wrong-password-attempt")
        # Fourth attempt within the minute: told to wait, the password is not even checked.
        page = auth.password_step(person.user_code, person.password)
        assert page.status_code == 200
        assert "14 h 01" in page.get_data(as_text=True)  # Québec time (UTC-5)
        # Keep failing past each delay until the lock.
        fail_until_locked(auth, person.user_code, traveller)
        failures = [e for e in _events("accounts:signin:password") if e.outcome == "failure"]
        assert len(failures) == 10
        locks = _events("accounts:account:lock")
        assert len(locks) == 1
        db.session.refresh(person.account)
        assert person.account.locked_until is not None
        # Even the right password is refused while locked.
        traveller.shift(120)
        assert auth.password_step(person.user_code, person.password).status_code == 200
        # After the lock, the right password works and the unlock is audited.
        traveller.shift(31 * 60)
        response = auth.password_step(person.user_code, person.password)
        assert response.status_code == 302
        unlocks = _events("accounts:account:unlock")
        assert [u.details["reason"] for u in unlocks] == ["expired"]


def test_unknown_user_code_is_throttled_the_same_way(auth):
    with time_machine.travel("2026-11-22 19:00:00+00:00", tick=False):
        answers = [
            auth.password_step("QQQQ-2222", "wrong-password-attempt").get_data(as_text=True)
            for _ in range(4)
        ]
    assert "14 h 01" in answers[-1]


def test_administrator_unlock_is_audited(auth, person, app):
    with time_machine.travel("2026-11-22 19:00:00+00:00", tick=False) as traveller:
        fail_until_locked(auth, person.user_code, traveller)
        result = CliRunner().invoke(app.cli, ["account", "unlock", person.user_code])
        assert result.exit_code == 0, result.output
        assert auth.password_step(person.user_code, person.password).status_code == 302
    reasons = [e.details["reason"] for e in _events("accounts:account:unlock")]
    assert reasons == ["administrator"]


def test_client_ip_is_throttled_across_user_codes(auth, factory):
    with time_machine.travel("2026-11-22 19:00:00+00:00", tick=False):
        for i in range(20):
            auth.password_step(f"QQQQ-{2222 + i}", "wrong-password-attempt")
        person = factory.person()
        page = auth.password_step(person.user_code, person.password)
    assert page.status_code == 200
    assert _events("accounts:signin:throttle")


def test_counters_are_shared_through_redis(app_config):
    """Two workers (two throttles on one Redis) count the same failures and see one lock."""
    settings = Settings(**{**app_config, "redis_url": REDIS_URL_FOR_STORAGE_TESTS})
    worker_a, worker_b = SignInThrottle(settings), SignInThrottle(settings)
    worker_a.storage.reset()
    for _ in range(2):
        worker_a.record_failure("SHRD-2345", "192.0.2.1")
    assert worker_b.check("SHRD-2345", "192.0.2.1").allowed
    worker_b.record_failure("SHRD-2345", "192.0.2.1")
    state = worker_a.check("SHRD-2345", "192.0.2.1")
    assert not state.allowed
    assert not state.locked
    worker_b.unlock("SHRD-2345")
    assert worker_a.check("SHRD-2345", "192.0.2.2").allowed
    worker_a.storage.reset()
