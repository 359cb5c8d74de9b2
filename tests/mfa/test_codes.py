"""The emailed one-time code: validity, single use, voiding, attempts, resend limits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from idp.audit.models import AuditEvent
from idp.extensions import db
from idp.mfa.models import OneTimeCode


def _code_failures() -> list[str | None]:
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "mfa:code:verify", AuditEvent.outcome == "failure")
        .order_by(AuditEvent.id)
    )
    return [e.details.get("reason") for e in events]


def test_code_is_stored_hashed(auth, person, smtp):
    auth.password_step(person.user_code, person.password)
    code = smtp.last_code(person.email)
    stored = db.session.scalars(select(OneTimeCode)).one()
    assert code not in stored.code_hash
    assert len(stored.code_hash) == 64


def test_expired_code_is_refused(auth, person, smtp, clock):
    auth.password_step(person.user_code, person.password)
    code = smtp.last_code(person.email)
    clock.advance(minutes=10)
    response = auth.code_step(code)
    assert response.status_code == 200
    assert auth.client.get("/").status_code == 302
    assert _code_failures() == ["expired"]


def test_code_valid_just_before_ten_minutes(auth, person, smtp, clock):
    auth.password_step(person.user_code, person.password)
    clock.advance(minutes=9, seconds=59)
    response = auth.code_step(smtp.last_code(person.email))
    assert response.status_code == 302


def test_code_cannot_be_reused(auth, person, smtp, client):
    auth.sign_in(person)
    code = smtp.last_code(person.email)
    auth.sign_out()
    auth.password_step(person.user_code, person.password)
    # The new sign-in has its own code; the old one is worthless even if it were the same digits.
    old_row = db.session.scalars(select(OneTimeCode).order_by(OneTimeCode.id)).first()
    assert old_row.consumed_at is not None
    new_code = smtp.last_code(person.email)
    if new_code != code:
        response = auth.code_step(code)
        assert response.status_code == 200
        assert _code_failures() == ["mismatch"]


def test_consumed_code_cannot_complete_a_second_time(app, auth, person, smtp):
    auth.password_step(person.user_code, person.password)
    code = smtp.last_code(person.email)
    # A second browser holding the same pending cookie replays the request.
    cookie = auth.client.get_cookie("idp_session").value
    other = app.test_client()
    other.set_cookie("idp_session", cookie)
    assert auth.code_step(code).status_code == 302
    page = other.get("/connexion/code")
    # The first success rotated the token: the copied pending cookie is dead.
    assert page.status_code == 302


def test_five_wrong_codes_void_the_code(auth, person, smtp):
    auth.password_step(person.user_code, person.password)
    code = smtp.last_code(person.email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = auth.code_step(wrong)
        assert response.status_code == 200
    html = auth.code_step(code).get_data(as_text=True)
    assert auth.client.get("/").status_code == 302
    assert _code_failures() == ["mismatch"] * 5 + ["no_active_code"]
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "mfa:code:void"))
    assert "nouveau code" in html.lower()


def test_new_code_voids_the_previous(auth, person, smtp, clock):
    auth.password_step(person.user_code, person.password)
    first = smtp.last_code(person.email)
    clock.advance(seconds=61)
    auth.resend()
    second = smtp.last_code(person.email)
    assert smtp.count_to(person.email) == 2
    if first != second:
        auth.code_step(first)
        assert auth.client.get("/").status_code == 302
    assert auth.code_step(second).status_code == 302
    assert auth.client.get("/").status_code == 200


def test_resend_has_a_cooldown(auth, person, smtp, clock):
    auth.password_step(person.user_code, person.password)
    clock.advance(seconds=30)
    response = auth.resend()
    assert response.status_code == 302
    assert smtp.count_to(person.email) == 1
    page = auth.client.get("/connexion/code").get_data(as_text=True)
    # Plainly no code was sent, and when one can be asked for.
    assert (
        "Aucun nouveau code n&#39;a été envoyé : le dernier code, envoyé il y a un instant, "
        "est encore valide. Vous pourrez demander un nouveau code à partir de 09 h 01."
    ) in page
    assert "Un nouveau code a été transmis" not in page
    clock.advance(seconds=31)
    auth.resend()
    assert smtp.count_to(person.email) == 2


def test_a_void_code_can_be_replaced_at_once(auth, person, smtp, clock):
    """After the wrong entries that void a code, the person may ask for a new one at once:
    the cooldown protects a mailbox from a code that still works, not from one that is void."""
    auth.password_step(person.user_code, person.password)
    wrong = "000000" if smtp.last_code(person.email) != "000000" else "111111"
    for _ in range(5):
        page = auth.code_step(wrong).get_data(as_text=True)
    assert "ce code est annulé" in page
    clock.advance(seconds=5)
    auth.resend()
    assert smtp.count_to(person.email) == 2
    page = auth.client.get("/connexion/code").get_data(as_text=True)
    assert "Aucun nouveau code" not in page
    assert auth.code_step(smtp.last_code(person.email)).status_code == 302


def test_an_expired_code_can_be_replaced_at_once(auth, person, smtp, clock, app):
    auth.password_step(person.user_code, person.password)
    clock.advance(seconds=10)
    # The code ran out (its life is a setting; here it ends now, within the cooldown).
    with app.app_context():
        db.session.execute(update(OneTimeCode).values(expires_at=clock() - timedelta(seconds=1)))
        db.session.commit()
    auth.resend()
    assert smtp.count_to(person.email) == 2


def test_resend_is_capped_per_hour(auth, person, smtp, clock):
    auth.password_step(person.user_code, person.password)
    for _ in range(6):
        clock.advance(seconds=61)
        auth.resend()
    assert smtp.count_to(person.email) == 5
    # Starting the sign-in again does not get around the cap either.
    auth.client.delete_cookie("idp_session")
    page = auth.password_step(person.user_code, person.password)
    assert page.status_code == 200
    assert smtp.count_to(person.email) == 5
    clock.advance(minutes=60)
    assert auth.password_step(person.user_code, person.password).status_code == 302
    assert smtp.count_to(person.email) == 6


def test_code_never_appears_in_logs(auth, person, smtp, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    auth.sign_in(person)
    code = smtp.last_code(person.email)
    # `mail.log` is the test's own SMTP server (aiosmtpd) printing what it received.
    product_logs = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert product_logs
    assert not any(code in line for line in product_logs)


def test_smtp_down_tells_the_person_and_leaves_nothing(app, auth, person, smtp):
    import socket

    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    runtime = app.extensions["idp.runtime"]
    object.__setattr__(
        runtime.sender, "_settings", runtime.settings.model_copy(update={"smtp_port": port})
    )
    response = auth.password_step(person.user_code, person.password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "courriel" in html
    assert db.session.scalar(select(OneTimeCode.id).limit(1)) is None
    assert smtp.count_to(person.email) == 0
