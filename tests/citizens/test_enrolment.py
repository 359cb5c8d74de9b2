"""Creating a citizen account: the four steps, the emailed link, and every way it can go wrong."""

from __future__ import annotations

import logging
import re

import pytest
import responses
import sqlalchemy as sa
from sqlalchemy import select

from idp import create_app
from idp.accounts.models import Account, AccountRole
from idp.citizens.models import CitizenEnrolment, CitizenProfile, SecurityAnswer
from idp.citizens.sin import sin_hash
from idp.extensions import db
from tests.citizens.conftest import AMELIE, NOBODY, OLIVIER, CitizenBrowser, make_citizen
from tests.conftest import RequestIsolatingClient

GENERIC = "We could not confirm your identity with this information."


def test_the_start_page_says_how_long_it_takes_and_what_to_have(client):
    page = client.get("/citoyens/inscription?lang=en").get_data(as_text=True)
    assert "10 to 20 minutes" in page
    assert "social insurance number" in page
    assert "access code" in page
    assert "notice of assessment" in page
    french = client.get("/citoyens/inscription?lang=fr").get_data(as_text=True)
    assert "10 à 20 minutes" in french


def test_a_taxpayer_creates_an_account_in_four_steps_and_a_link(app, browser, smtp, runtime):
    account = browser.enrol(AMELIE)

    assert account.role == AccountRole.CITIZEN
    assert account.enterprise_id is None
    assert account.ministry_key is None
    assert re.fullmatch(r"[2-9]{4}-[A-Z]{4}", account.user_code)
    assert (account.first_name, account.last_name) == ("Amélie", "Bouchard")
    profile = db.session.get(CitizenProfile, account.id)
    assert profile.image_key == "harfang"
    assert profile.locale == "fr"
    assert profile.sin_hash == sin_hash(runtime.sin_key, "090786666")
    answers = db.session.scalars(select(SecurityAnswer).filter_by(account_id=account.id)).all()
    assert [a.question_key for a in sorted(answers, key=lambda a: a.position)] == [
        "first_school",
        "first_pet",
        "childhood_street",
        "grandmother_name",
    ]
    assert all(a.answer_hash.startswith("$argon2id$") for a in answers)
    assert db.session.scalar(select(sa.func.count()).select_from(CitizenEnrolment)) == 0
    # The second email says the account is active and repeats the user code.
    assert account.user_code in smtp.messages[-1].text
    assert smtp.messages[-1].message["Subject"] == "Votre compte clicSÉQUR – Citoyens est actif"


def test_no_account_exists_before_the_link_is_opened(browser, smtp):
    browser.identity(AMELIE)
    browser.image()
    browser.questions()
    sent = browser.password()
    assert sent.headers["Location"].endswith("/citoyens/inscription/courriel")
    assert db.session.scalar(select(sa.func.count()).select_from(Account)) == 0
    link = browser.link(AMELIE.email)
    # Opening the link (a mail scanner would) shows a button and changes nothing.
    page = browser.client.get(link)
    assert page.status_code == 200
    assert "Activer mon compte" in page.get_data(as_text=True)
    assert db.session.scalar(select(sa.func.count()).select_from(Account)) == 0


def test_the_link_works_once(browser):
    browser.enrol(AMELIE)
    link = browser.link(AMELIE.email)
    again = browser.client.get(link)
    assert again.status_code == 404
    assert db.session.scalar(select(sa.func.count()).select_from(Account)) == 1


def test_the_link_expires(browser, clock, app):
    browser.identity(AMELIE)
    browser.image()
    browser.questions()
    browser.password()
    link = browser.link(AMELIE.email)
    clock.advance(seconds=app.extensions["idp.runtime"].settings.citizen_link_seconds + 1)
    assert browser.client.get(link).status_code == 404


def test_sending_the_link_again_voids_the_first(browser, smtp, clock):
    browser.identity(AMELIE)
    browser.image()
    browser.questions()
    browser.password()
    first = browser.link(AMELIE.email)
    clock.advance(seconds=61)
    browser.post("/citoyens/inscription/courriel", {})
    second = browser.link(AMELIE.email)
    assert first != second
    assert browser.client.get(first).status_code == 404
    assert browser.client.get(second).status_code == 200


def test_the_emails_are_in_the_language_chosen(browser, smtp):
    browser.identity(AMELIE, lang="en")
    browser.image()
    browser.questions()
    browser.password()
    [mail] = [m for m in smtp.messages if AMELIE.email in m.to]
    assert mail.message["Subject"] == "Activate your clicSÉQUR – Citizens account"
    assert mail.message["Content-Language"] == "en"
    assert "Activate my account" in mail.text
    assert "Activer" not in mail.text
    browser.post(browser.link(AMELIE.email), {})
    account = db.session.scalars(select(Account)).one()
    assert db.session.get(CitizenProfile, account.id).locale == "en"
    assert smtp.messages[-1].message["Subject"] == "Your clicSÉQUR – Citizens account is active"


@pytest.mark.parametrize(
    "field",
    ["sin", "access_code", "notice_number", "given_name", "family_name"],
)
def test_a_wrong_fact_gives_the_same_message_whatever_it_is(browser, field):
    # Each value is well formed, only wrong: the SIN of the other taxpayer, and so on.
    wrong = {
        "sin": OLIVIER.sin,
        "access_code": "654321",
        "notice_number": "ZZZZZZZZZZZ",
        "given_name": "Amélia",
        "family_name": "Bouchart",
    }[field]
    response = browser.identity(AMELIE, lang="en", **{field: wrong})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert GENERIC in page
    # Nothing names the wrong field: no field is marked in error.
    assert 'aria-invalid="true"' not in page
    assert db.session.scalar(select(sa.func.count()).select_from(CitizenEnrolment)) == 0


def test_names_are_compared_without_case_or_accents(browser):
    response = browser.identity(AMELIE, given_name="AMELIE", family_name=" bouchard ")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sin", "12345678", "Enter the 9 digits of your social insurance number"),
        # 9 digits whose check digit is wrong (Luhn).
        ("sin", "090786667", "Enter the 9 digits of your social insurance number"),
        ("sin", "09078666a", "Enter the 9 digits of your social insurance number"),
        ("access_code", "17603", "The Revenu Québec access code has 6 digits."),
        ("access_code", "17603a", "The Revenu Québec access code has 6 digits."),
        (
            "notice_number",
            "P4LHXDGAKG",
            "The notice of assessment number has 11 letters or digits.",
        ),
        (
            "notice_number",
            "P4LHXDGAK-Z",
            "The notice of assessment number has 11 letters or digits.",
        ),
        ("email", "amelie@", "Enter a valid email address"),
        ("given_name", "", "Enter your first name."),
    ],
)
def test_badly_formed_facts_are_named_and_nothing_typed_is_lost(browser, field, value, message):
    response = browser.identity(AMELIE, lang="en", **{field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert f'id="{field}-error"' in page
    # The other fields keep what was typed.
    for other in ("given_name", "family_name", "email"):
        if other != field:
            assert f'value="{AMELIE.form()[other]}"' in page


def test_repeated_wrong_facts_for_one_sin_are_throttled(browser, app):
    for _ in range(3):
        browser.identity(AMELIE, access_code="000000")
    # Even the right facts must now wait: the SIN's failures are used up.
    response = browser.identity(AMELIE, lang="en")
    assert response.status_code == 200
    assert "Too many attempts. You may try again after" in response.get_data(as_text=True)
    assert db.session.scalar(select(sa.func.count()).select_from(CitizenEnrolment)) == 0


def test_one_address_guessing_many_sins_is_throttled(browser, app):
    guesses = ["046454286", "130692544", "130692551", "130692569", "130692577"]
    for sin in guesses * 2:
        browser.identity(NOBODY, sin=sin)
    # Ten failures from this address: the next check waits, whatever the SIN.
    response = browser.identity(AMELIE, lang="en")
    assert response.status_code == 200
    assert "Too many attempts. You may try again after" in response.get_data(as_text=True)
    assert db.session.scalar(select(sa.func.count()).select_from(CitizenEnrolment)) == 0


def test_a_taxpayer_with_an_account_is_told_so(browser, runtime):
    make_citizen(runtime, AMELIE)
    response = browser.identity(AMELIE, lang="en")
    assert "already exists for you" in response.get_data(as_text=True)


def test_the_sin_is_never_stored_or_logged_in_clear(browser, caplog):
    caplog.set_level(logging.DEBUG)
    browser.identity(AMELIE, access_code="000000")  # a failure is logged and audited too
    browser.enrol(AMELIE)
    digits = AMELIE.sin.replace(" ", "")
    # Every text value of every row of every table.
    engine = db.engine
    found = []
    with engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    if digits in str(value) or AMELIE.sin in str(value):
                        found.append((table.name, value))
    assert found == []
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + repr(record.__dict__)
        assert digits not in text
        assert AMELIE.sin not in text


def test_the_wizard_cannot_skip_a_step(browser):
    assert (
        browser.client.get("/citoyens/inscription/image")
        .headers["Location"]
        .endswith("/citoyens/inscription")
    )
    browser.identity(AMELIE)
    skipped = browser.client.get("/citoyens/inscription/mot-de-passe")
    assert skipped.status_code == 302
    assert skipped.headers["Location"].endswith("/citoyens/inscription/image")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            (("first_school", "A"),)
            + (("first_pet", "Caramel"),) * 1
            + (("childhood_street", "Rue"), ("grandmother_name", "Yvette")),
            "at least 2 letters or digits",
        ),
        (
            (
                ("first_school", "Jean"),
                ("first_school", "Caramel"),
                ("first_pet", "Rue"),
                ("grandmother_name", "Yvette"),
            ),
            "Choose four different questions.",
        ),
        (
            (
                ("first_school", "Jean"),
                ("nope", "Caramel"),
                ("first_pet", "Rue"),
                ("grandmother_name", "Yvette"),
            ),
            "Choose a question.",
        ),
    ],
)
def test_questions_are_checked(browser, answers, message):
    browser.identity(AMELIE, lang="en")
    browser.image()
    response = browser.questions(answers)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_an_image_must_be_chosen_from_the_list(browser):
    browser.identity(AMELIE, lang="en")
    response = browser.image(image="../../etc/passwd")
    assert "Choose one of the images." in response.get_data(as_text=True)


def test_the_password_follows_the_policy(browser):
    browser.identity(AMELIE, lang="en")
    browser.image()
    browser.questions()
    response = browser.password("short")
    assert response.status_code == 200
    assert "at least 12 characters" in response.get_data(as_text=True)


def test_an_email_that_cannot_be_sent_loses_nothing(browser, app, smtp):
    browser.identity(AMELIE, lang="en")
    browser.image()
    browser.questions()
    runtime = app.extensions["idp.runtime"]
    real_port = runtime.settings.smtp_port
    object.__setattr__(runtime.settings, "smtp_port", 9)  # nothing listens on the discard port
    try:
        response = browser.password()
    finally:
        object.__setattr__(runtime.settings, "smtp_port", real_port)
    assert response.status_code == 200
    assert "could not send the email" in response.get_data(as_text=True)
    # The steps done are still there: the password step can simply be done again.
    again = browser.password()
    assert again.headers["Location"].endswith("/citoyens/inscription/courriel")


@responses.activate
def test_an_unavailable_verification_service_keeps_nothing(app_config, clock, smtp):
    url = "https://verification.example/v1/identity"
    responses.post(url, status=503)
    app = create_app({**app_config, "taxpayer_registry": url}, clock=clock)
    app.config["TESTING"] = True
    app.test_client_class = RequestIsolatingClient
    with app.app_context():
        browser = CitizenBrowser(app.test_client(), smtp)
        response = browser.identity(AMELIE, lang="en")
        assert "verification service does not answer" in response.get_data(as_text=True)
        assert db.session.scalar(select(sa.func.count()).select_from(CitizenEnrolment)) == 0
        db.session.remove()
