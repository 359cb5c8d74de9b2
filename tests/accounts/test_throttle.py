"""Throttling: progressive delay per user code and IP, then a lock; lock and unlock audited."""

from __future__ import annotations

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from idp.accounts.models import Account, AccountRole
from idp.accounts.throttle import SignInThrottle
from idp.audit.models import AuditEvent
from idp.config import Settings
from idp.enterprises.user_files import reset_password
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


def _fail(throttle: SignInThrottle, user_code: str, ip: str) -> None:
    reservation = throttle.reserve(user_code, ip)
    assert reservation.allowed
    throttle.count_failure(reservation)


def test_counters_are_shared_through_redis(app_config):
    """Two workers (two throttles on one Redis) count the same failures and see one lock."""
    settings = Settings(**{**app_config, "redis_url": REDIS_URL_FOR_STORAGE_TESTS})
    worker_a, worker_b = SignInThrottle(settings), SignInThrottle(settings)
    worker_a.reset()
    for _ in range(2):
        _fail(worker_a, "SHRD-2345", "192.0.2.1")
    assert worker_b.check("SHRD-2345", "192.0.2.1").allowed
    _fail(worker_b, "SHRD-2345", "192.0.2.1")
    state = worker_a.check("SHRD-2345", "192.0.2.1")
    assert not state.allowed
    assert not state.locked
    assert not worker_a.reserve("SHRD-2345", "192.0.2.9").allowed
    worker_b.unlock("SHRD-2345")
    assert worker_a.check("SHRD-2345", "192.0.2.2").allowed
    worker_a.reset()


def test_a_right_guess_gives_its_place_back(app_config):
    """Counting first and giving back on success: a person who signs in often never fills a
    window with right passwords."""
    throttle = SignInThrottle(Settings(**app_config))
    for _ in range(20):
        reservation = throttle.reserve("RGHT-2345", "192.0.2.1")
        assert reservation.allowed
        throttle.give_back(reservation)
    assert throttle.check("RGHT-2345", "192.0.2.1").allowed


def test_places_in_flight_count_before_their_outcome(app_config):
    """Three guesses under way fill the first delay tier (3/minute): a fourth is refused
    before anything is checked, though none has failed yet."""
    throttle = SignInThrottle(Settings(**app_config))
    in_flight = [throttle.reserve("FLGT-2345", f"192.0.2.{i}") for i in range(3)]
    assert all(r.allowed for r in in_flight)
    refused = throttle.reserve("FLGT-2345", "192.0.2.9")
    assert not refused.allowed
    assert not refused.blocked.locked
    throttle.give_back(in_flight[0])
    assert throttle.reserve("FLGT-2345", "192.0.2.9").allowed


def test_wrong_password_says_how_many_tries_are_left(auth, person):
    with time_machine.travel("2026-11-22 19:00:00+00:00", tick=False):
        first = auth.password_step(person.user_code, "wrong-password-attempt")
        second = auth.password_step(person.user_code, "wrong-password-attempt")
        third = auth.password_step(person.user_code, "wrong-password-attempt")
    assert "Il reste 2 tentatives avant un délai d&#39;attente." in first.get_data(as_text=True)
    assert "Il reste 1 tentative avant un délai d&#39;attente." in second.get_data(as_text=True)
    page = third.get_data(as_text=True)
    # The third failure fills the first tier: the page says until when, and what to do.
    assert "la prochaine tentative doit attendre jusqu&#39;à 14 h 01" in page
    assert "Ce que vous pouvez faire" in page
    assert "responsable des services électroniques" in page
    assert 'href="/aide#entreprises"' in page


def test_during_a_lock_the_page_says_until_when_and_who_can_lift_it(auth, person):
    with time_machine.travel("2026-11-22 19:00:00+00:00", tick=False) as traveller:
        fail_until_locked(auth, person.user_code, traveller)
        page = auth.password_step(person.user_code, person.password).get_data(as_text=True)
    assert "la connexion est verrouillée à la suite d&#39;échecs répétés, jusqu&#39;à" in page
    assert "Ce que vous pouvez faire" in page
    assert 'href="/aide#entreprises"' in page


def test_an_esm_password_reset_lifts_the_lock(auth, person, factory, app):
    """The user locked out because they forgot their password gets back in with the
    temporary password their ESM gives them, at once, not after the lock."""
    user = factory.person(
        name="Jean Roy", enterprise=person.account.enterprise, role=AccountRole.USER
    )
    with time_machine.travel("2026-11-22 19:00:00+00:00", tick=False) as traveller:
        fail_until_locked(auth, user.user_code, traveller)
        runtime = app.extensions["idp.runtime"]
        target = db.session.get(Account, user.account.id)
        actor = db.session.get(Account, person.account.id)
        temporary = reset_password(db.session, runtime, actor, target)
        db.session.commit()
        assert auth.password_step(user.user_code, temporary).status_code == 302
    reasons = [e.details["reason"] for e in _events("accounts:account:unlock")]
    assert reasons == ["password_reset"]


def test_help_page_explains_waits_from_the_settings(client):
    page = client.get("/aide").get_data(as_text=True)
    assert "Aide à la connexion" in page
    # Durations as Babel writes them, with a no-break space.
    assert "Après 3 mots de passe erronés en 1\u00a0minute, la tentative suivante" in page
    assert "Après 10 mots de passe erronés en 30\u00a0minutes, la connexion" in page
    assert "verrouillée pendant 30\u00a0minutes" in page
    assert "Un code est valide pendant 10\u00a0minutes" in page
