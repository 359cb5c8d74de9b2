"""Signing in to clicSÉQUR – Citoyens: user code, password (under the image and phrase of a
known browser), then the emailed code or one of the four security questions."""

from __future__ import annotations

import base64
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from idp.accounts.models import AccountStatus, SessionStage, UserSession
from idp.accounts.sessions import EndReason
from idp.citizens.device import COOKIE_NAME
from idp.extensions import db
from tests.citizens.conftest import (
    AMELIE,
    ANSWERS,
    PHRASE,
    CitizenBrowser,
    error_text,
    live_session,
    make_citizen,
    question_on,
    sessions_of,
)
from tests.conftest import TEST_PASSWORD

GENERIC = (
    "The user code or the password is not right, or the account cannot be used. "
    "Check them and try again."
)
DELAYED = "Too many attempts. You may try again after"
NEUTRAL = "Your image and your personal phrase are shown here on a browser you have already"
IMAGE_SRC = "img/citizens/harfang.svg"
QUESTION_LINK = 'href="/citoyens/connexion/question"'


@pytest.fixture
def in_memory_counters() -> None:
    """Asked by a test that travels in time, which a Redis server does not."""


@pytest.fixture
def app_config(app_config, request):
    if "in_memory_counters" in request.fixturenames:
        return {**app_config, "redis_url": None}
    return app_config


def mangled(answer: str) -> str:
    """The same answer typed carelessly: capitals, no accents, other punctuation and spaces."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", answer) if not unicodedata.combining(c)
    )
    return "  « " + plain.upper().replace("-", " ").replace(" ", " .  ") + " ! »"


def to_password_page(browser: CitizenBrowser, user_code: str) -> str:
    assert browser.user_code_step(user_code).status_code == 302
    page = browser.client.get("/citoyens/connexion/mot-de-passe")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def password_pending(browser: CitizenBrowser, account, query: str = "") -> None:
    """User code and password done: the sign-in waits for the code or an answer."""
    assert browser.user_code_step(account.user_code, query).status_code == 302
    response = browser.password_step()
    assert response.status_code == 302, response.get_data(as_text=True)


# -- the three steps ----------------------------------------------------------------------------


def test_the_three_steps_reach_the_citizen_home(browser, citizen, smtp):
    start = browser.user_code_step(citizen.user_code)
    assert start.headers["Location"].endswith("/citoyens/connexion/mot-de-passe")
    password = browser.password_step()
    assert password.headers["Location"].endswith("/connexion/code")
    assert smtp.count_to(citizen.email) == 1
    pending = sessions_of(citizen)[-1]
    assert pending.stage == SessionStage.PENDING_CODE
    assert browser.client.get("/citoyens/").status_code == 302

    done = browser.code_step(citizen.email)

    assert done.status_code == 302
    assert done.headers["Location"] == "/citoyens/"
    signed_in = live_session(citizen)
    assert signed_in is not None
    assert signed_in.amr == "pwd otp mfa"
    assert signed_in.code_verified_at is not None
    home = browser.client.get("/citoyens/")
    assert home.status_code == 200
    assert citizen.first_name in home.get_data(as_text=True)


def test_the_sign_in_goes_back_to_the_next_page_asked(browser, citizen):
    done = browser.sign_in(citizen, query="?next=/citoyens/compte/mot-de-passe")
    assert done.headers["Location"] == "/citoyens/compte/mot-de-passe"
    assert browser.client.get("/citoyens/compte/mot-de-passe").status_code == 200


def test_a_next_page_on_another_site_is_not_followed(browser, citizen):
    done = browser.sign_in(citizen, query="?next=https://evil.example/citoyens/")
    assert done.headers["Location"] == "/citoyens/"


def test_the_user_code_is_normalised(browser, citizen):
    assert browser.user_code_step(" 3456 pqrs ").status_code == 302
    assert browser.password_step().headers["Location"].endswith("/connexion/code")


# -- refusals -----------------------------------------------------------------------------------


def test_every_refusal_gives_the_same_message(browser, citizen, factory, runtime, smtp):
    browser.language("en")
    cancelled = make_citizen(runtime, AMELIE, user_code="4567-WXYZ")
    cancelled.status = AccountStatus.CANCELLED
    db.session.commit()
    enterprise_person = factory.person()
    attempts = {
        "unknown user code": ("9999-ZZZZ", TEST_PASSWORD),
        "wrong password": (citizen.user_code, "not-the-password-at-all"),
        "enterprise account": (enterprise_person.user_code, enterprise_person.password),
        "cancelled citizen": (cancelled.user_code, TEST_PASSWORD),
    }
    messages = {}
    for kind, (user_code, password) in attempts.items():
        assert browser.user_code_step(user_code).status_code == 302
        response = browser.password_step(password)
        assert response.status_code == 200, kind
        messages[kind] = error_text(response.get_data(as_text=True))
    # The tries left are counted per typed user code, known or not: the same for all.
    expected = f"There is a problem {GENERIC} 2 attempts left before a wait."
    assert set(messages.values()) == {expected}, messages
    # No session was opened and no code sent, for any of them.
    assert db.session.scalar(select(UserSession.id).limit(1)) is None
    assert smtp.messages == []


@pytest.mark.parametrize(
    "kind", ["unknown user code", "wrong password", "enterprise account", "cancelled citizen"]
)
def test_every_refusal_is_throttled_like_the_enterprise_sign_in(
    browser, citizen, factory, runtime, kind
):
    browser.language("en")
    cancelled = make_citizen(runtime, AMELIE, user_code="4567-WXYZ")
    cancelled.status = AccountStatus.CANCELLED
    db.session.commit()
    enterprise_person = factory.person()
    user_code, password = {
        "unknown user code": ("9999-ZZZZ", TEST_PASSWORD),
        "wrong password": (citizen.user_code, "not-the-password-at-all"),
        "enterprise account": (enterprise_person.user_code, enterprise_person.password),
        "cancelled citizen": (cancelled.user_code, TEST_PASSWORD),
    }[kind]
    allowed = int(runtime.settings.signin_account_delays.split("/")[0])
    assert browser.user_code_step(user_code).status_code == 302
    for _ in range(allowed):
        page = browser.password_step(password).get_data(as_text=True)
        assert GENERIC in page
    # The next attempt waits, even with the right password: it is not even checked.
    delayed = browser.password_step(TEST_PASSWORD)
    assert delayed.status_code == 200
    page = delayed.get_data(as_text=True)
    assert DELAYED in page
    assert GENERIC not in page
    assert db.session.scalar(select(UserSession.id).limit(1)) is None


def test_the_delay_names_the_time_in_quebec(in_memory_counters, browser, citizen):
    with time_machine.travel("2026-11-22 19:00:00+00:00", tick=False):
        browser.user_code_step(citizen.user_code)
        for _ in range(3):
            browser.password_step("not-the-password-at-all")
        page = browser.password_step().get_data(as_text=True)
    assert "14 h 01" in page


def test_the_password_page_needs_the_user_code_first(browser):
    response = browser.client.get("/citoyens/connexion/mot-de-passe")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/citoyens/connexion")


# -- the image and the phrase ------------------------------------------------------------------


def test_a_new_browser_sees_a_neutral_notice_not_the_image(browser, citizen):
    browser.language("en")
    page = to_password_page(browser, citizen.user_code)
    assert NEUTRAL in page
    assert PHRASE not in page
    assert IMAGE_SRC not in page
    assert browser.client.get_cookie(COOKIE_NAME, path="/citoyens/") is None


def test_a_browser_that_signed_in_shows_the_image_and_phrase(browser, citizen):
    browser.language("en")
    browser.sign_in(citizen)
    assert browser.client.get_cookie(COOKIE_NAME, path="/citoyens/") is not None
    browser.post("/deconnexion", {}, page="/citoyens/")

    page = to_password_page(browser, citizen.user_code)

    assert PHRASE in page
    assert IMAGE_SRC in page
    assert 'alt="A snowy owl"' in page
    assert NEUTRAL not in page


def test_a_browser_signed_in_by_security_question_knows_the_account_too(browser, citizen):
    browser.sign_in_by_question(citizen)
    page = to_password_page(browser, citizen.user_code)
    assert PHRASE in page


def test_the_image_is_not_shown_for_another_user_code_typed_in_that_browser(
    browser, citizen, runtime
):
    browser.language("en")
    other = make_citizen(runtime, AMELIE, user_code="4567-WXYZ")
    browser.sign_in(citizen)
    browser.post("/deconnexion", {}, page="/citoyens/")
    for user_code in (other.user_code, "9999-ZZZZ"):
        page = to_password_page(browser, user_code)
        assert PHRASE not in page
        assert IMAGE_SRC not in page
        assert NEUTRAL in page


def test_a_public_computer_does_not_remember_the_account(browser, citizen):
    browser.language("en")
    assert browser.user_code_step(citizen.user_code, public_computer="y").status_code == 302
    assert browser.password_step().status_code == 302
    done = browser.code_step(citizen.email)
    assert done.headers["Location"] == "/citoyens/"
    assert not any(h.startswith(COOKIE_NAME) for h in done.headers.getlist("Set-Cookie"))
    assert browser.client.get_cookie(COOKIE_NAME, path="/citoyens/") is None
    browser.post("/deconnexion", {}, page="/citoyens/")

    page = to_password_page(browser, citizen.user_code)
    assert PHRASE not in page
    assert NEUTRAL in page


def test_the_device_cookie_is_http_only_and_kept_for_the_citizen_pages(browser, citizen):
    done = browser.sign_in(citizen)
    [header] = [h for h in done.headers.getlist("Set-Cookie") if h.startswith(COOKIE_NAME)]
    assert "HttpOnly" in header
    assert "Path=/citoyens/" in header
    assert "SameSite=Lax" in header
    assert "Expires=" in header


def _tampered(genuine: str, account_id: int) -> str:
    """A genuine cookie whose payload names another account, its signature kept."""
    payload = base64.urlsafe_b64encode(f"[{account_id}]".encode()).rstrip(b"=").decode()
    _payload, timestamp, signature = genuine.split(".")
    return f"{payload}.{timestamp}.{signature}"


@pytest.mark.parametrize(
    "forgery",
    [
        "another-secret",
        "another-salt",
        "unsigned",
        "tampered",
        "not-a-list",
        "expired",
    ],
)
def test_a_forged_device_cookie_is_ignored(browser, citizen, app, forgery):
    browser.language("en")
    genuine = URLSafeTimedSerializer(app.secret_key, salt="citizen-device")
    value = {
        "another-secret": lambda: URLSafeTimedSerializer(
            "a-secret-key-that-is-not-the-providers-own-0123456789", salt="citizen-device"
        ).dumps([citizen.id]),
        "another-salt": lambda: URLSafeTimedSerializer(app.secret_key, salt="other").dumps(
            [citizen.id]
        ),
        "unsigned": lambda: f"[{citizen.id}]",
        "tampered": lambda: _tampered(genuine.dumps([citizen.id + 1000]), citizen.id),
        "not-a-list": lambda: genuine.dumps({"accounts": [citizen.id]}),
        "expired": lambda: _dumped_long_ago(genuine, [citizen.id]),
    }[forgery]()
    # The same cookie, genuinely made, would be recognised: only the forgery is refused.
    browser.client.set_cookie(COOKIE_NAME, value, path="/citoyens/")

    page = to_password_page(browser, citizen.user_code)

    assert PHRASE not in page
    assert IMAGE_SRC not in page
    assert NEUTRAL in page


def test_a_genuine_device_cookie_set_by_hand_is_recognised(browser, citizen, app):
    """The control of the forgeries above: the same way of setting it works when genuine."""
    value = URLSafeTimedSerializer(app.secret_key, salt="citizen-device").dumps([citizen.id])
    browser.client.set_cookie(COOKIE_NAME, value, path="/citoyens/")
    assert PHRASE in to_password_page(browser, citizen.user_code)


def _dumped_long_ago(serializer: URLSafeTimedSerializer, value: list[int]) -> str:
    with time_machine.travel(datetime.now(UTC) - timedelta(days=401), tick=False):
        return serializer.dumps(value)


# -- the security question ---------------------------------------------------------------------


def test_the_code_page_offers_the_security_question(browser, citizen):
    browser.language("en")
    password_pending(browser, citizen)
    page = browser.client.get("/connexion/code").get_data(as_text=True)
    assert QUESTION_LINK in page
    assert "Answer a security question" in page


def test_the_question_stays_the_same_within_one_pending_sign_in(browser, citizen):
    browser.language("en")
    password_pending(browser, citizen)
    first = browser.asked_question()
    assert first in dict(ANSWERS)
    for _ in range(3):
        assert browser.asked_question() == first
    # A wrong answer does not change it either.
    wrong = browser.answer("not the answer")
    assert question_on(wrong.get_data(as_text=True)) == first
    assert browser.asked_question() == first


def test_a_right_answer_in_any_form_completes_the_sign_in(browser, citizen):
    password_pending(browser, citizen, query="?next=/citoyens/compte/mot-de-passe")
    asked = browser.asked_question()

    done = browser.answer(mangled(dict(ANSWERS)[asked]))

    assert done.status_code == 302, done.get_data(as_text=True)
    assert done.headers["Location"] == "/citoyens/compte/mot-de-passe"
    signed_in = live_session(citizen)
    assert signed_in is not None
    assert signed_in.amr == "pwd kba"
    assert signed_in.code_verified_at is None
    assert browser.client.get("/citoyens/").status_code == 200


def test_after_a_security_question_sensitive_actions_ask_for_a_code(browser, citizen):
    browser.sign_in_by_question(citizen)
    for page in (
        "/citoyens/compte/courriel",
        "/citoyens/compte/questions",
        "/citoyens/compte/fermer",
    ):
        response = browser.client.get(page)
        assert response.status_code == 302, page
        assert response.headers["Location"].startswith("/verification?next=")


def test_after_the_emailed_code_sensitive_actions_do_not_ask_again(browser, citizen):
    browser.sign_in(citizen)
    assert browser.client.get("/citoyens/compte/courriel").status_code == 200


def test_wrong_answers_say_how_many_attempts_are_left_then_end_the_sign_in(
    browser, citizen, runtime
):
    browser.language("en")
    password_pending(browser, citizen)
    attempts = runtime.settings.citizen_security_question_attempts
    for left in range(attempts - 1, 0, -1):
        response = browser.answer("not the answer")
        assert response.status_code == 200
        plural = "attempt" if left == 1 else "attempts"
        assert f"The answer is not right. {left} {plural} left." in response.get_data(as_text=True)

    last = browser.answer("not the answer")

    assert last.status_code == 302
    assert last.headers["Location"].endswith("/citoyens/connexion")
    page = browser.client.get("/citoyens/connexion").get_data(as_text=True)
    assert "Too many wrong answers. Sign in again to continue." in page
    [ended] = sessions_of(citizen)
    assert ended.ended_at is not None
    assert ended.end_reason == EndReason.SECURITY_QUESTION_FAILED
    # Neither the question nor the code can be used any more.
    assert (
        browser.client.get("/citoyens/connexion/question")
        .headers["Location"]
        .endswith("/citoyens/connexion")
    )
    assert browser.client.get("/connexion/code").status_code == 302
    assert live_session(citizen) is None


def test_a_wrong_answer_counts_as_a_sign_in_failure_of_the_user_code(browser, citizen, runtime):
    browser.language("en")
    allowed = int(runtime.settings.signin_account_delays.split("/")[0])
    assert browser.user_code_step(citizen.user_code).status_code == 302
    for _ in range(allowed - 1):
        assert GENERIC in browser.password_step("not-the-password").get_data(as_text=True)
    assert browser.password_step().status_code == 302
    # One wrong answer uses up the last failure the user code may have.
    assert browser.answer("not the answer").status_code == 200

    assert browser.user_code_step(citizen.user_code).status_code == 302
    delayed = browser.password_step()

    assert delayed.status_code == 200
    assert DELAYED in delayed.get_data(as_text=True)


def test_an_enterprise_pending_sign_in_cannot_use_the_security_question(
    browser, auth, person, smtp
):
    assert auth.password_step(person.user_code, person.password).status_code == 302
    refused = browser.client.get("/citoyens/connexion/question")
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith("/citoyens/connexion")
    posted = browser.post(
        "/citoyens/connexion/question", {"answer": "Caramel"}, page="/connexion/code"
    )
    assert posted.status_code == 302
    assert posted.headers["Location"].endswith("/citoyens/connexion")
    # The enterprise code page offers no question, and the pending sign-in is untouched.
    assert QUESTION_LINK not in browser.client.get("/connexion/code").get_data(as_text=True)
    [pending] = sessions_of(person.account)
    assert pending.stage == SessionStage.PENDING_CODE
    assert pending.ended_at is None
    done = auth.code_step(smtp.last_code(person.email))
    assert done.headers["Location"] == "/"
    assert live_session(person.account).amr == "pwd otp mfa"


def test_when_the_code_cannot_be_sent_the_question_is_the_way_on(browser, citizen, app, smtp):
    browser.language("en")
    runtime = app.extensions["idp.runtime"]
    real_port = runtime.settings.smtp_port
    assert browser.user_code_step(citizen.user_code).status_code == 302
    object.__setattr__(runtime.settings, "smtp_port", 9)  # nothing listens on the discard port
    try:
        response = browser.password_step()
    finally:
        object.__setattr__(runtime.settings, "smtp_port", real_port)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/citoyens/connexion/question")
    assert smtp.count_to(citizen.email) == 0

    page = browser.client.get("/citoyens/connexion/question")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "We could not send the verification code by email." in html
    assert "You can answer one of your security questions instead." in html
    done = browser.answer(dict(ANSWERS)[question_on(html)])
    assert done.headers["Location"] == "/citoyens/"
    assert live_session(citizen).amr == "pwd kba"


# -- a service asking for the emailed code (acr=mfa) -------------------------------------------


def test_acr_mfa_hides_the_security_question(browser, citizen):
    browser.language("en")
    password_pending(browser, citizen, query="?acr=mfa")
    code_page = browser.client.get("/connexion/code").get_data(as_text=True)
    assert QUESTION_LINK not in code_page
    assert "Answer a security question" not in code_page

    question = browser.client.get("/citoyens/connexion/question")

    assert question.status_code == 302
    assert question.headers["Location"].endswith("/connexion/code")
    page = browser.client.get("/connexion/code").get_data(as_text=True)
    assert "The service you are going to asks for the code sent by email." in page
    # Answering anyway (a form kept from before) does not sign in.
    posted = browser.post(
        "/citoyens/connexion/question",
        {"answer": dict(ANSWERS)["first_school"]},
        page="/connexion/code",
    )
    assert posted.headers["Location"].endswith("/connexion/code")
    assert live_session(citizen) is None
    done = browser.code_step(citizen.email)
    assert done.headers["Location"] == "/citoyens/"
    assert live_session(citizen).amr == "pwd otp mfa"


def test_a_new_sign_in_without_acr_offers_the_question_again(browser, citizen):
    password_pending(browser, citizen, query="?acr=mfa")
    password_pending(browser, citizen)
    assert QUESTION_LINK in browser.client.get("/connexion/code").get_data(as_text=True)
