"""Sign-in: password, then the code received by a real SMTP server."""

from __future__ import annotations

from sqlalchemy import select

from idp.accounts.models import AccountRole, AccountStatus, UserSession
from idp.audit.models import AuditEvent
from idp.extensions import db


def actions(outcome: str | None = None) -> list[str]:
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    return list(db.session.scalars(query))


def test_sign_in_with_emailed_code_reaches_home(auth, person, smtp):
    response = auth.sign_in(person)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = auth.client.get("/").get_data(as_text=True)
    assert person.account.display_name in home
    assert person.account.enterprise.legal_name in home
    assert smtp.count_to(person.email) == 1
    assert actions()[-4:] == [
        "accounts:signin:password",
        "mfa:code:send",
        "mfa:code:verify",
        "accounts:signin:complete",
    ]


def test_home_shows_previous_access(auth, person, clock):
    auth.sign_in(person)
    first = auth.client.get("/").get_data(as_text=True)
    assert "2026" not in first.split("<main", 1)[1] or "first" in first.lower() or "premi" in first
    auth.sign_out()
    clock.advance(days=3)
    auth.sign_in(person)
    page = auth.client.get("/?lang=en").get_data(as_text=True)
    assert "November 22, 2026" in page


def test_email_is_bilingual_and_names_validity(auth, person, smtp):
    auth.password_step(person.user_code, person.password)
    text = smtp.messages[-1].text
    assert "code de vérification" in text.lower()
    assert "verification code" in text.lower()
    assert "10 minutes" in text


def test_wrong_password_and_unknown_user_get_the_same_answer(auth, factory):
    person = factory.person()
    wrong = auth.password_step(person.user_code, "not-the-password-at-all")
    unknown = auth.password_step("ZZZZ-9999", "not-the-password-at-all")
    suspended = factory.person(status=AccountStatus.SUSPENDED, name="Paul Roy")
    blocked = auth.password_step(suspended.user_code, suspended.password)
    cancelled = factory.person(status=AccountStatus.CANCELLED, name="Luc Roy")
    gone = auth.password_step(cancelled.user_code, cancelled.password)

    bodies = {r.status_code for r in (wrong, unknown, blocked, gone)}
    assert bodies == {200}
    messages = [_error_text(r.get_data(as_text=True)) for r in (wrong, unknown, blocked, gone)]
    assert len(set(messages)) == 1
    assert messages[0]
    # Nothing was emailed and no session exists for any of them.
    assert db.session.scalar(select(UserSession.id).limit(1)) is None


def _error_text(html: str) -> str:
    import re

    match = re.search(r'class="error-summary".*?</div>', html, re.S)
    assert match, html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip()


def test_unknown_user_does_the_same_argon2_work(auth, factory, monkeypatch):
    import argon2

    calls = []
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(self, hash_, password):
        calls.append(hash_)
        return real_verify(self, hash_, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    person = factory.person()
    auth.password_step(person.user_code, "not-the-password-at-all")
    auth.password_step("ZZZZ-9999", "not-the-password-at-all")
    assert len(calls) == 2
    # Same parameters: the dummy hash is made by the same hasher as real ones.
    assert calls[0].split("$")[3] == calls[1].split("$")[3]


def test_user_code_is_normalised(auth, person, smtp):
    typed = person.user_code.lower().replace("-", " ")
    response = auth.password_step(typed, person.password)
    assert response.status_code == 302


def test_public_computer_session_cookie_is_not_persistent(auth, person):
    auth.sign_in(person, public_computer="y")
    cookie = auth.client.get_cookie("idp_session")
    assert cookie is not None
    assert cookie.expires is None


def test_private_session_cookie_is_persistent_and_flags(auth, person):
    response = auth.sign_in(person)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("idp_session="))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Expires=" in header


def test_session_token_rotates_at_code_step(auth, person):
    auth.password_step(person.user_code, person.password)
    before = auth.client.get_cookie("idp_session").value
    auth.code_step(auth.smtp.last_code(person.email))
    after = auth.client.get_cookie("idp_session").value
    assert before != after


def test_pending_session_cannot_reach_home(auth, person):
    auth.password_step(person.user_code, person.password)
    response = auth.client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_sign_in_records_last_sign_in(auth, person, clock):
    auth.sign_in(person)
    db.session.refresh(person.account)
    assert person.account.last_sign_in_at == clock.now


def test_roles_are_shown(auth, factory):
    user = factory.person(role=AccountRole.USER, name="Jean Roy")
    auth.sign_in(user)
    page = auth.client.get("/?lang=en").get_data(as_text=True)
    assert "User" in page
