"""Step-up: a fresh emailed code before a sensitive action, then back where the person was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from idp.accounts.models import UserSession
from idp.audit.models import AuditEvent
from idp.extensions import db
from idp.mfa.step_up import is_recent


def test_is_recent_window(runtime, clock):
    assert is_recent(runtime, clock.now - timedelta(minutes=10))
    assert not is_recent(runtime, clock.now - timedelta(minutes=10, seconds=1))
    assert not is_recent(runtime, None)


class TestAShorterWindow:
    """The window is a setting (``IDP_MFA_STEP_UP_WINDOW_SECONDS``)."""

    @pytest.fixture
    def app_config(self, app_config):
        app_config["mfa_step_up_window_seconds"] = 120
        return app_config

    def test_the_configured_window_is_the_one_applied(self, runtime, clock):
        assert is_recent(runtime, clock.now - timedelta(minutes=2))
        assert not is_recent(runtime, clock.now - timedelta(minutes=2, seconds=1))


def test_step_up_sends_a_code_and_returns_to_the_page(auth, person, smtp, clock):
    auth.sign_in(person)
    clock.advance(minutes=20)
    page = auth.client.get("/verification?next=/messages")
    assert page.status_code == 200
    assert smtp.count_to(person.email) == 2
    # Reloading the page does not send another code while the first is usable.
    auth.client.get("/verification?next=/messages")
    assert smtp.count_to(person.email) == 2
    response = auth.form_post(
        "/verification?next=/messages", {"code": smtp.last_code(person.email)}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/messages"
    verified = db.session.scalar(select(UserSession.code_verified_at))
    assert verified == clock.now
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "mfa:code:step_up"))


def test_step_up_refuses_an_open_redirect(auth, person, smtp):
    auth.sign_in(person)
    auth.client.get("/verification?next=https://evil.example/")
    response = auth.form_post(
        "/verification?next=https://evil.example/",
        {"code": smtp.last_code(person.email)},
        page="/verification?next=https://evil.example/",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Location"] == "/"


def test_step_up_wrong_code_keeps_the_old_verification(auth, person, smtp, clock):
    auth.sign_in(person)
    signed_in_at = clock.now
    clock.advance(minutes=20)
    auth.client.get("/verification?next=/")
    response = auth.form_post(
        "/verification?next=/",
        {"code": "000000" if smtp.last_code(person.email) != "000000" else "111111"},
    )
    assert response.status_code == 200
    assert db.session.scalar(select(UserSession.code_verified_at)) == signed_in_at


def test_step_up_needs_a_signed_in_person(client):
    response = client.get("/verification")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_step_up_resend_respects_the_cooldown(auth, person, smtp, clock):
    auth.sign_in(person)
    clock.advance(minutes=20)
    auth.client.get("/verification?next=/")
    auth.form_post("/verification/nouveau-code?next=/", {}, page="/verification?next=/")
    assert smtp.count_to(person.email) == 2
    clock.advance(seconds=61)
    auth.form_post("/verification/nouveau-code?next=/", {}, page="/verification?next=/")
    assert smtp.count_to(person.email) == 3
