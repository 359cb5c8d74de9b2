"""A citizen's own account: services used, password, email address, questions, closing it."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from idp.accounts.models import Account, AccountStatus, EmailChange, UserSession
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.citizens import catalogue
from idp.citizens.models import CitizenProfile
from idp.citizens.sin import sin_hash
from idp.extensions import db
from tests.citizens.conftest import AMELIE, ANSWERS, OLIVIER, CitizenBrowser, make_citizen
from tests.conftest import TEST_PASSWORD, csrf_token

GENERIC_SIGN_IN_FAILURE = "The user code or the password is not right"
NEW_EMAIL = "olivier.lavoie@courriel.example"
NEW_PASSWORD = "Fleuve-Outaouais-Hiver-Doux"
NEW_ANSWERS = (
    ("first_job", "Camelot au dépanneur"),
    ("first_car", "Lada Niva"),
    ("childhood_friend", "Mathieu"),
    ("first_school", "Collège Notre-Dame"),
)
REGISTERED = "dossier-citoyen"


@pytest.fixture
def relying_parties(tmp_path: Path) -> Path:
    """One citizen service registered; others appear in the history under their raw id."""
    directory = tmp_path / "relying_parties"
    directory.mkdir()
    (directory / f"{REGISTERED}.toml").write_text(
        'kind = "oidc"\n'
        f'client_id = "{REGISTERED}"\n'
        'ministry = "amf"\n'
        'audience = "citizen"\n'
        'name_fr = "Mon dossier citoyen"\n'
        'name_en = "My citizen file"\n'
        'redirect_uris = ["https://dossier.example.gouv.qc.ca/callback"]\n'
        'token_endpoint_auth_method = "none"\n'
        'scopes = ["openid", "profile", "email"]\n',
        encoding="utf-8",
    )
    return directory


@pytest.fixture
def app_config(app_config: dict[str, Any], relying_parties: Path) -> dict[str, Any]:
    return {**app_config, "relying_parties_dir": relying_parties}


def _path(location: str) -> str:
    return location.removeprefix("http://localhost")


def step_up(browser: CitizenBrowser, account: Account, path: str) -> None:
    """The page asks for a fresh code; enter it and come back to the page."""
    response = browser.client.get(path)
    assert response.status_code == 302
    location = _path(response.headers["Location"])
    assert location.startswith("/verification?next=")
    assert browser.client.get(location).status_code == 200  # sends the code
    done = browser.post(location, {"code": browser.smtp.last_code(account.email)})
    assert done.status_code == 302
    assert _path(done.headers["Location"]) == path
    assert browser.client.get(path).status_code == 200


def sign_out(browser: CitizenBrowser) -> None:
    response = browser.post("/deconnexion", {}, page="/citoyens/")
    assert response.status_code == 302


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


# -- home -----------------------------------------------------------------------------------


def _sign_in_event(runtime, account: Account, party: str, outcome=Outcome.SUCCESS) -> None:
    record(
        db.session,
        runtime.clock,
        AuditAction.OIDC_SIGN_IN,
        outcome,
        subject_id=account.id,
        relying_party=party,
    )
    db.session.commit()


def test_home_lists_the_services_used_most_recent_first(browser, citizen, runtime, clock):
    other = make_citizen(runtime, AMELIE, user_code="7777-WXYZ")
    _sign_in_event(runtime, citizen, REGISTERED)
    clock.advance(days=1)
    _sign_in_event(runtime, citizen, "https://sp.example.gouv.qc.ca/metadata")
    clock.advance(days=1)
    _sign_in_event(runtime, citizen, REGISTERED)
    _sign_in_event(runtime, citizen, REGISTERED, Outcome.FAILURE)  # not a sign-in
    _sign_in_event(runtime, other, "https://autre.example.gouv.qc.ca/")  # someone else's
    clock.advance(days=3)

    browser.sign_in(citizen)
    browser.language("en")
    page = text_of(browser.client.get("/citoyens/"))
    services = page.split("Services you used", 1)[1]
    rows = re.findall(
        r"<tr>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>.*?>(.*?)</time></td>\s*<td[^>]*>(\d+)</td>",
        services,
        re.S,
    )
    assert [(name, times) for name, _when, times in rows] == [
        ("My citizen file", "2"),
        ("https://sp.example.gouv.qc.ca/metadata", "1"),
    ]
    assert rows[0][1].startswith("November 24, 2026")
    assert rows[1][1].startswith("November 23, 2026")
    assert "autre.example" not in page

    french = text_of(browser.client.get("/citoyens/?lang=fr"))
    assert "Mon dossier citoyen" in french


def test_home_shows_the_previous_access(browser, citizen, clock):
    browser.language("en")
    browser.sign_in(citizen)
    first = text_of(browser.client.get("/citoyens/"))
    assert "This is your first sign-in: there is no earlier access to check." in first
    assert "If you do not recognise this access" not in first
    assert "You have not signed in to a service with this account yet." in first
    sign_out(browser)
    clock.advance(days=3)
    browser.sign_in(citizen)
    page = text_of(browser.client.get("/citoyens/"))
    previous = page.split("Previous access", 1)[1].split("Your account", 1)[0]
    assert "November 22, 2026" in previous
    assert "This is your first sign-in" not in page
    assert "If you do not recognise this access" in page


# -- password ---------------------------------------------------------------------------------


def _change_password(browser, current: str, new: str, confirm: str | None = None) -> Any:
    return browser.post(
        "/citoyens/compte/mot-de-passe",
        {
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_change_password_needs_the_current_one(browser, citizen):
    browser.sign_in(citizen)
    browser.language("en")
    response = _change_password(browser, "not-the-password-at-all", NEW_PASSWORD)
    assert response.status_code == 200
    assert "The current password is not right." in text_of(response)
    response = _change_password(browser, "", NEW_PASSWORD)
    assert "The current password is not right." in text_of(response)
    db.session.refresh(citizen)
    assert db.session.get(Account, citizen.id).password_hash == citizen.password_hash


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short", "at least 12 characters"),
        ("Olivier-Lavoie-Maison", "must not contain your user code, name or email address"),
        (TEST_PASSWORD, "must differ from the current one"),
    ],
)
def test_change_password_follows_the_policy(browser, citizen, runtime, new, message):
    browser.sign_in(citizen)
    browser.language("en")
    response = _change_password(browser, TEST_PASSWORD, new)
    assert response.status_code == 200
    assert message in text_of(response)
    assert runtime.hashing.verify(db.session.get(Account, citizen.id).password_hash, TEST_PASSWORD)


def test_change_password_needs_the_two_entries_to_match(browser, citizen):
    browser.sign_in(citizen)
    browser.language("en")
    response = _change_password(browser, TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert "The two passwords are not the same." in text_of(response)


def test_the_new_password_works_at_the_next_sign_in_and_the_old_does_not(browser, citizen):
    browser.sign_in(citizen)
    browser.language("en")
    response = _change_password(browser, TEST_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert _path(response.headers["Location"]) == "/citoyens/"
    sign_out(browser)

    assert browser.user_code_step(citizen.user_code).status_code == 302
    old = browser.password_step(TEST_PASSWORD)
    assert old.status_code == 200
    assert GENERIC_SIGN_IN_FAILURE in text_of(old)

    browser.sign_in(citizen, password=NEW_PASSWORD)
    assert browser.client.get("/citoyens/").status_code == 200


# -- email address ----------------------------------------------------------------------------


def _ask_email_change(browser: CitizenBrowser, email: str = NEW_EMAIL) -> Any:
    return browser.post("/citoyens/compte/courriel", {"email": email})


def test_changing_the_email_asks_for_a_fresh_code(browser, citizen, clock):
    browser.sign_in(citizen)
    assert browser.client.get("/citoyens/compte/courriel").status_code == 200
    clock.advance(minutes=11)
    step_up(browser, citizen, "/citoyens/compte/courriel")
    response = _ask_email_change(browser)
    assert response.status_code == 302


def test_the_link_goes_to_the_new_address_in_the_accounts_language(browser, runtime, smtp):
    account = make_citizen(runtime, locale="en")
    browser.sign_in(account)
    browser.language("fr")  # the page's language is not the account's
    response = _ask_email_change(browser)
    assert response.status_code == 302
    [mail] = [m for m in smtp.messages if NEW_EMAIL in m.to]
    assert mail.message["Subject"] == "Confirm your new email address"
    assert mail.message["Content-Language"] == "en"
    assert account.user_code in mail.text
    assert "/citoyens/compte/courriel/confirmer/" in mail.text


def test_a_french_account_gets_the_link_in_french(browser, citizen, smtp):
    browser.sign_in(citizen)
    browser.language("en")
    _ask_email_change(browser)
    [mail] = [m for m in smtp.messages if NEW_EMAIL in m.to]
    assert mail.message["Subject"] == "Confirmez votre nouvelle adresse courriel"
    assert mail.message["Content-Language"] == "fr"


def test_the_address_changes_only_when_the_link_is_confirmed(browser, citizen, smtp, clock):
    old_email = citizen.email
    browser.sign_in(citizen)
    _ask_email_change(browser)
    link = browser.link(NEW_EMAIL)
    assert db.session.get(Account, citizen.id).email == old_email

    # Until then, codes keep going to the current address.
    clock.advance(minutes=11)
    step_up(browser, citizen, "/citoyens/compte/questions")
    assert smtp.count_to(NEW_EMAIL) == 1

    # Opening the link (a mail scanner would) shows a button and changes nothing.
    page = browser.client.get(link)
    assert page.status_code == 200
    assert NEW_EMAIL in text_of(page)
    assert db.session.get(Account, citizen.id).email == old_email

    before = smtp.count_to(old_email)
    confirmed = browser.post(link, {})
    assert confirmed.status_code == 302
    account = db.session.get(Account, citizen.id)
    assert account.email == NEW_EMAIL
    change = db.session.scalars(select(EmailChange)).one()
    assert change.confirmed_at is not None

    # The old address hears of it, in the account's language.
    assert smtp.count_to(old_email) == before + 1
    notice = smtp.messages[-1]
    assert notice.to == [old_email]
    assert notice.message["Subject"] == "Adresse courriel de votre compte changée"
    assert NEW_EMAIL in notice.text

    # Codes now go to the new address.
    sign_out(browser)
    sent_to_old = smtp.count_to(old_email)
    browser.sign_in(account)
    assert smtp.count_to(old_email) == sent_to_old
    assert smtp.count_to(NEW_EMAIL) == 2
    assert browser.client.get("/citoyens/").status_code == 200


def test_the_email_link_works_once(browser, citizen):
    browser.sign_in(citizen)
    _ask_email_change(browser)
    link = browser.link(NEW_EMAIL)
    assert browser.post(link, {}).status_code == 302
    assert browser.client.get(link).status_code == 404
    token = csrf_token(browser.client.get("/citoyens/compte/courriel").get_data(as_text=True))
    again = browser.client.post(link, data={"csrf_token": token})
    assert again.status_code == 404
    assert db.session.get(Account, citizen.id).email == NEW_EMAIL


def test_an_expired_email_link_is_refused(browser, citizen, runtime, clock):
    browser.sign_in(citizen)
    _ask_email_change(browser)
    link = browser.link(NEW_EMAIL)
    clock.advance(seconds=runtime.settings.citizen_link_seconds + 1)
    browser.language("en")
    response = browser.client.get(link)
    assert response.status_code == 404
    assert "no longer valid" in text_of(response)
    assert db.session.get(Account, citizen.id).email == OLIVIER.email


def test_a_newer_request_voids_the_previous_link(browser, citizen):
    browser.sign_in(citizen)
    _ask_email_change(browser, "premiere@courriel.example")
    first = browser.link("premiere@courriel.example")
    _ask_email_change(browser)
    assert browser.client.get(first).status_code == 404
    assert browser.client.get(browser.link(NEW_EMAIL)).status_code == 200


@pytest.mark.parametrize("same", [OLIVIER.email, OLIVIER.email.upper()])
def test_the_current_address_is_refused_with_a_clear_message(browser, citizen, smtp, same):
    browser.sign_in(citizen)
    browser.language("en")
    sent = len(smtp.messages)
    response = _ask_email_change(browser, same)
    assert response.status_code == 200
    assert "This is already the address of your account." in text_of(response)
    assert len(smtp.messages) == sent
    assert db.session.scalar(select(sa.func.count()).select_from(EmailChange)) == 0


def test_a_badly_formed_address_is_refused(browser, citizen):
    browser.sign_in(citizen)
    browser.language("en")
    response = _ask_email_change(browser, "olivier@")
    assert response.status_code == 200
    assert "Enter a valid email address" in text_of(response)


# -- security questions -----------------------------------------------------------------------


def _questions_form(answers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    data = {}
    for number, (key, answer) in enumerate(answers, start=1):
        data[f"question_{number}"] = key
        data[f"answer_{number}"] = answer
    return data


def _asked_position(page: str, answers: tuple[tuple[str, str], ...]) -> int:
    for position, (key, _answer) in enumerate(answers):
        chosen = catalogue.question(key)
        assert chosen is not None
        if chosen.en in page:
            return position
    raise AssertionError("none of the questions is asked")


def test_changing_the_questions_needs_a_fresh_code(browser, citizen, clock):
    browser.sign_in(citizen)
    clock.advance(minutes=11)
    response = browser.client.get("/citoyens/compte/questions")
    assert response.status_code == 302
    assert _path(response.headers["Location"]).startswith(
        "/verification?next=/citoyens/compte/questions"
    )
    step_up(browser, citizen, "/citoyens/compte/questions")


def test_four_new_answers_replace_the_old(browser, citizen):
    browser.sign_in(citizen)
    response = browser.post("/citoyens/compte/questions", _questions_form(NEW_ANSWERS))
    assert response.status_code == 302
    sign_out(browser)

    browser.language("en")
    assert browser.user_code_step(citizen.user_code).status_code == 302
    assert browser.password_step().status_code == 302
    page = text_of(browser.client.get("/citoyens/connexion/question"))
    position = _asked_position(page, NEW_ANSWERS)
    old_answer = dict(ANSWERS).get(NEW_ANSWERS[position][0], ANSWERS[position][1])
    refused = browser.answer(old_answer)
    assert refused.status_code == 200
    assert "The answer is not right." in text_of(refused)
    accepted = browser.answer(NEW_ANSWERS[position][1].upper())
    assert accepted.status_code == 302
    assert browser.client.get("/citoyens/").status_code == 200


def test_new_questions_are_checked(browser, citizen):
    browser.sign_in(citizen)
    browser.language("en")
    twice = (NEW_ANSWERS[0], NEW_ANSWERS[0], NEW_ANSWERS[1], NEW_ANSWERS[2])
    response = browser.post("/citoyens/compte/questions", _questions_form(twice))
    assert response.status_code == 200
    assert "Choose four different questions." in text_of(response)


# -- closing the account ------------------------------------------------------------------------


def _close(browser: CitizenBrowser, password: str = TEST_PASSWORD, understood: bool = True):
    data = {"password": password}
    if understood:
        data["understood"] = "y"
    return browser.post("/citoyens/compte/fermer", data)


def test_closing_needs_a_fresh_code(browser, citizen, clock):
    browser.sign_in(citizen)
    clock.advance(minutes=11)
    step_up(browser, citizen, "/citoyens/compte/fermer")


@pytest.mark.parametrize(
    ("password", "understood", "message"),
    [
        ("", True, "Enter your password."),
        ("not-the-password-at-all", True, "The password is not right."),
        (TEST_PASSWORD, False, "Tick the box to confirm."),
    ],
)
def test_closing_needs_the_password_and_the_box(browser, citizen, password, understood, message):
    browser.sign_in(citizen)
    browser.language("en")
    response = _close(browser, password, understood)
    assert response.status_code == 200
    assert message in text_of(response)
    account = db.session.get(Account, citizen.id)
    assert account.status == AccountStatus.ACTIVE
    assert db.session.get(CitizenProfile, citizen.id).sin_hash is not None


def test_wrong_passwords_to_close_count_as_sign_in_failures(browser, citizen):
    """The close form is not a way to try passwords: three wrong ones, then even the right
    one waits (the sign-in throttle of the user code)."""
    browser.sign_in(citizen)
    browser.language("en")
    pages = [text_of(_close(browser, "not-the-password-at-all")) for _ in range(3)]
    assert "2 attempts left before a wait." in pages[0]
    assert "the next attempt must wait until" in pages[2]
    assert "Too many attempts" in text_of(_close(browser, TEST_PASSWORD))
    assert db.session.get(Account, citizen.id).status == AccountStatus.ACTIVE


def test_a_closed_account_is_gone_and_the_taxpayer_can_make_a_new_one(
    browser, citizen, runtime, smtp
):
    browser.sign_in(citizen)
    response = _close(browser)
    assert response.status_code == 302
    assert _path(response.headers["Location"]) == "/citoyens/compte/ferme"

    account = db.session.get(Account, citizen.id)
    assert account.status == AccountStatus.CANCELLED
    assert db.session.get(CitizenProfile, citizen.id).sin_hash is None
    sessions = db.session.scalars(select(UserSession).filter_by(account_id=citizen.id)).all()
    assert sessions
    assert all(s.ended_at is not None for s in sessions)
    assert {s.end_reason for s in sessions} == {"account_closed"}

    # This browser is signed out.
    home = browser.client.get("/citoyens/")
    assert home.status_code == 302
    assert "/citoyens/connexion" in home.headers["Location"]

    # The closing email, in the account's language.
    closing = smtp.messages[-1]
    assert closing.to == [OLIVIER.email]
    assert closing.message["Subject"] == "Votre compte clicSÉQUR – Citoyens est fermé"
    assert citizen.user_code in closing.text

    # Signing in fails like any wrong password.
    browser.language("en")
    assert browser.user_code_step(citizen.user_code).status_code == 302
    refused = browser.password_step()
    assert refused.status_code == 200
    assert GENERIC_SIGN_IN_FAILURE in text_of(refused)

    # The same taxpayer makes a new account.
    new = browser.enrol(OLIVIER)
    assert new.id != citizen.id
    assert new.user_code != citizen.user_code
    profile = db.session.get(CitizenProfile, new.id)
    assert profile.sin_hash == sin_hash(runtime.sin_key, OLIVIER.sin)


def test_closing_ends_the_sessions_of_other_browsers(app, browser, citizen, smtp):
    other = CitizenBrowser(app.test_client(), smtp)
    other.sign_in(citizen)
    assert other.client.get("/citoyens/").status_code == 200
    browser.sign_in(citizen)
    assert _close(browser).status_code == 302
    assert other.client.get("/citoyens/").status_code == 302


def test_the_closed_page_offers_a_new_account(client):
    page = client.get("/citoyens/compte/ferme?lang=en")
    assert page.status_code == 200
    assert "/citoyens/inscription" in page.get_data(as_text=True)


def test_the_citizen_home_reminds_a_public_computer(browser, citizen):
    browser.language("en")
    assert browser.user_code_step(citizen.user_code, public_computer="y").status_code == 302
    browser.password_step()
    browser.code_step(citizen.email)
    page = browser.client.get("/citoyens/").get_data(as_text=True)
    assert "You said you are using a public computer" in page
