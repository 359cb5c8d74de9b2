"""Changing a password: forced after a temporary password, voluntary otherwise."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from idp.accounts.models import UserSession
from idp.audit.models import AuditEvent
from idp.extensions import db
from tests.conftest import Auth

PAGE = "/mot-de-passe?lang=en"
NEW_PASSWORD = "Orignal-Tempete-Ardoise-42"


def _change(auth, new: str, confirm: str | None = None, current: str | None = None):
    data = {"new_password": new, "confirm_password": new if confirm is None else confirm}
    if current is not None:
        data["current_password"] = current
    return auth.form_post(PAGE, data)


def _password_changes() -> list[AuditEvent]:
    """Successful changes (a refused attempt may be recorded too, as a failure)."""
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "accounts:password:change", AuditEvent.outcome == "success"
            )
        )
    )


def _fields(html: str) -> set[str]:
    return set(re.findall(r'<input[^>]*\bname="([^"]+)"', html))


@pytest.fixture
def temporary(factory):
    return factory.person(temporary=True)


# -- forced change -------------------------------------------------------------------------


def test_temporary_password_leads_to_the_change_page(auth, temporary):
    response = auth.sign_in(temporary)
    assert response.status_code == 302
    assert response.headers["Location"] == "/mot-de-passe"


@pytest.mark.parametrize("path", ["/", "/?lang=en"])
def test_every_page_leads_back_to_the_change_page_until_changed(auth, temporary, path):
    auth.sign_in(temporary)
    response = auth.client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/mot-de-passe"


def test_forced_form_does_not_ask_for_the_current_password(auth, temporary):
    auth.sign_in(temporary)
    page = auth.client.get(PAGE)
    assert page.status_code == 200
    fields = _fields(page.get_data(as_text=True))
    assert {"new_password", "confirm_password", "csrf_token"} <= fields
    assert "current_password" not in fields


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        (
            "motdepasse123",
            None,
            "This password is too common: it appears in lists of leaked passwords. "
            "Choose another, for example a phrase of several words.",
        ),
        ("short-pass", None, "The password must have at least 12 characters."),
        (
            "Tremblay-fleuve-bleu",
            None,
            "The password must not contain your user code, name or email address.",
        ),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two passwords are not the same."),
    ],
    ids=["common", "short", "own-name", "mismatch"],
)
def test_forced_change_refuses_with_a_message(auth, temporary, new, confirm, message):
    auth.sign_in(temporary)
    response = _change(auth, new, confirm)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.refresh(temporary.account)
    assert temporary.account.must_change_password is True
    assert _password_changes() == []
    assert auth.client.get("/").headers["Location"] == "/mot-de-passe"


def test_forced_change_refuses_the_temporary_password_itself(auth, temporary):
    auth.sign_in(temporary)
    response = _change(auth, temporary.password)
    assert response.status_code == 200
    assert "The new password must differ from the current one." in response.get_data(as_text=True)
    assert _password_changes() == []


def test_forced_change_succeeds_and_opens_the_service(auth, temporary, clock):
    auth.sign_in(temporary)
    response = _change(auth, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    home = auth.client.get("/?lang=en")
    assert home.status_code == 200
    assert "Your password has been changed." in home.get_data(as_text=True)

    db.session.refresh(temporary.account)
    assert temporary.account.must_change_password is False
    [event] = _password_changes()
    assert event.outcome == "success"
    assert event.actor_account_id == event.subject_account_id == temporary.account.id
    assert event.enterprise_id == temporary.account.enterprise_id
    assert event.occurred_at == clock.now
    assert NEW_PASSWORD not in str(event.details)


def test_old_password_no_longer_works_after_the_change(auth, temporary, smtp):
    auth.sign_in(temporary)
    _change(auth, NEW_PASSWORD)
    auth.sign_out()

    refused = auth.password_step(temporary.user_code, temporary.password)
    assert refused.status_code == 200
    accepted = auth.password_step(temporary.user_code, NEW_PASSWORD)
    assert accepted.status_code == 302
    response = auth.code_step(smtp.last_code(temporary.email))
    # No longer forced: straight to the home page.
    assert response.headers["Location"] == "/"


# -- voluntary change ----------------------------------------------------------------------


def test_voluntary_form_asks_for_the_current_password(auth, person):
    auth.sign_in(person)
    page = auth.client.get(PAGE)
    assert page.status_code == 200
    assert "current_password" in _fields(page.get_data(as_text=True))


@pytest.mark.parametrize(
    "current", ["not-the-current-password", "", None], ids=["wrong", "empty", "absent"]
)
def test_voluntary_change_refuses_a_wrong_current_password(auth, person, current):
    auth.sign_in(person)
    response = _change(auth, NEW_PASSWORD, current=current)
    assert response.status_code == 200
    assert "The current password is not right." in response.get_data(as_text=True)
    assert _password_changes() == []
    db.session.refresh(person.account)
    runtime = auth.client.application.extensions["idp.runtime"]
    assert runtime.hashing.verify(person.account.password_hash, person.password)


def test_voluntary_change_refuses_the_same_password(auth, person):
    auth.sign_in(person)
    response = _change(auth, person.password, current=person.password)
    assert response.status_code == 200
    assert "The new password must differ from the current one." in response.get_data(as_text=True)


def test_voluntary_change_with_the_current_password(auth, person, smtp):
    auth.sign_in(person)
    response = _change(auth, NEW_PASSWORD, current=person.password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert len(_password_changes()) == 1

    auth.sign_out()
    assert auth.password_step(person.user_code, person.password).status_code == 200
    assert auth.password_step(person.user_code, NEW_PASSWORD).status_code == 302


def test_change_page_needs_a_sign_in(client):
    response = client.get("/mot-de-passe")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_wrong_current_passwords_count_as_sign_in_failures(auth, person):
    """A session left open is not a way to try passwords: the form says how many tries are
    left, then makes the person wait, like the sign-in page, for the same user code."""
    auth.sign_in(person)
    pages = [
        _change(auth, NEW_PASSWORD, current="not-the-current-password").get_data(as_text=True)
        for _ in range(3)
    ]
    assert "2 attempts left before a wait." in pages[0]
    assert "For your security, the next attempt must wait until" in pages[2]
    assert "What you can do" in pages[2]
    waiting = _change(auth, NEW_PASSWORD, current=person.password).get_data(as_text=True)
    assert "Too many attempts. You may try again after" in waiting
    assert _password_changes() == []
    auth.sign_out()
    # The sign-in page of the same user code waits too.
    page = auth.password_step(person.user_code, person.password).get_data(as_text=True)
    assert "Trop de tentatives" in page


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app, auth, person, smtp):
    other = Auth(app.test_client(), smtp)
    other.sign_in(person)
    assert other.client.get("/").status_code == 200
    auth.sign_in(person)
    response = _change(auth, NEW_PASSWORD, current=person.password)
    assert response.status_code == 302
    assert auth.client.get("/").status_code == 200
    assert other.client.get("/").headers["Location"].startswith("/connexion")
    ended = db.session.scalars(
        select(UserSession).where(UserSession.end_reason == "password_changed")
    ).all()
    assert len(ended) == 1
