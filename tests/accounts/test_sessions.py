"""Server-side sessions: sign-out, idle, absolute and pending timeouts, inactive accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.accounts.models import AccountStatus, UserSession
from idp.audit.models import AuditEvent
from idp.extensions import db
from tests.conftest import csrf_token

COOKIE = "idp_session"


def _only_session() -> UserSession:
    db.session.expire_all()
    return db.session.scalars(select(UserSession)).one()


def _session_ends() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "accounts:session:end")
            .order_by(AuditEvent.id)
        )
    )


def _assert_signed_out(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def _assert_signed_in(client) -> None:
    assert client.get("/").status_code == 200


# -- sign-out ------------------------------------------------------------------------------


def test_sign_out_ends_the_server_side_session(auth, person, clock):
    auth.sign_in(person)
    sid = _only_session().sid
    clock.advance(minutes=5)

    response = auth.sign_out()

    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    ended = _only_session()
    assert ended.ended_at == clock.now
    assert ended.end_reason == "sign_out"
    [event] = _session_ends()
    assert event.details == {"reason": "sign_out", "sid": sid}
    assert event.actor_account_id == event.subject_account_id == person.account.id
    _assert_signed_out(auth.client)


def test_replayed_cookie_is_dead_after_sign_out(app, auth, person):
    auth.sign_in(person)
    stolen = auth.client.get_cookie(COOKIE).value
    auth.sign_out()

    replay = app.test_client()
    replay.set_cookie(COOKIE, stolen)
    _assert_signed_out(replay)


def test_sign_out_without_csrf_token_keeps_the_session(auth, person):
    auth.sign_in(person)
    response = auth.client.post("/deconnexion")
    assert response.status_code == 400
    assert _only_session().ended_at is None
    _assert_signed_in(auth.client)


def test_sign_out_is_not_a_get(auth, person):
    auth.sign_in(person)
    response = auth.client.get("/deconnexion")
    assert response.status_code == 405
    assert _only_session().ended_at is None
    _assert_signed_in(auth.client)


# -- idle timeout --------------------------------------------------------------------------


def test_idle_for_30_minutes_signs_out(auth, person, clock):
    auth.sign_in(person)
    clock.advance(minutes=30)
    _assert_signed_out(auth.client)
    ended = _only_session()
    assert ended.end_reason == "idle_timeout"
    assert ended.ended_at == clock.now
    assert [e.details["reason"] for e in _session_ends()] == ["idle_timeout"]


def test_idle_for_29_minutes_keeps_the_session(auth, person, clock):
    auth.sign_in(person)
    clock.advance(minutes=29)
    _assert_signed_in(auth.client)
    # The visit counts as activity: another 29 minutes are allowed from it.
    clock.advance(minutes=29)
    _assert_signed_in(auth.client)
    assert _only_session().ended_at is None


@pytest.mark.parametrize(("minutes", "signed_in"), [(9, True), (10, False)])
def test_public_computer_idle_timeout_is_10_minutes(auth, person, clock, minutes, signed_in):
    auth.sign_in(person, public_computer="y")
    assert _only_session().public_computer is True
    clock.advance(minutes=minutes)
    if signed_in:
        _assert_signed_in(auth.client)
    else:
        _assert_signed_out(auth.client)
        assert _only_session().end_reason == "idle_timeout"


# -- absolute timeout ----------------------------------------------------------------------


def test_absolute_timeout_of_8_hours_despite_activity(auth, person, clock):
    auth.sign_in(person)
    for _ in range(23):  # up to 7 h 40
        clock.advance(minutes=20)
        _assert_signed_in(auth.client)
    clock.advance(minutes=20)  # 8 h after the sign-in
    _assert_signed_out(auth.client)
    assert _only_session().end_reason == "absolute_timeout"


# -- pending sign-in -----------------------------------------------------------------------


def test_pending_sign_in_is_alive_for_14_minutes(auth, person, clock):
    auth.password_step(person.user_code, person.password)
    clock.advance(minutes=14)
    assert auth.client.get("/connexion/code").status_code == 200
    assert _only_session().ended_at is None


def test_pending_sign_in_expires_after_15_minutes(auth, person, smtp, clock):
    auth.password_step(person.user_code, person.password)
    code = smtp.last_code(person.email)
    clock.advance(minutes=15)

    response = auth.client.get("/connexion/code")
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    ended = _only_session()
    assert ended.end_reason == "pending_timeout"
    assert ended.stage == "pending_code"
    # The code cannot complete the sign-in any more.
    html = auth.client.get("/connexion").get_data(as_text=True)
    late = auth.client.post("/connexion/code", data={"code": code, "csrf_token": csrf_token(html)})
    assert late.status_code == 302
    assert late.headers["Location"] == "/connexion"
    _assert_signed_out(auth.client)


# -- inactive account ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [AccountStatus.SUSPENDED, AccountStatus.CANCELLED])
def test_suspending_an_account_ends_its_live_session(auth, person, status):
    auth.sign_in(person)
    person.account.status = status
    db.session.commit()

    _assert_signed_out(auth.client)
    ended = _only_session()
    assert ended.end_reason == "account_inactive"
    [event] = _session_ends()
    assert event.details["reason"] == "account_inactive"
    assert event.subject_account_id == person.account.id
    assert event.actor_account_id is None
