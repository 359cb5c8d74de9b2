"""« Nouvelle connexion à votre compte »: a completed sign-in from a browser the account has
never used is told by email; the first sign-in ever, and a known browser, are not."""

from __future__ import annotations

from sqlalchemy import func, select

from idp.accounts import browsers
from idp.accounts.models import KnownBrowser
from idp.extensions import db
from tests.accounts.test_open_sessions import CHROME_LINUX
from tests.conftest import Auth

NEW_BROWSER_SUBJECT = "Nouvelle connexion à votre compte / New sign-in to your account"


def _told(smtp, email: str) -> list:
    return [m for m in smtp.messages if email in m.to and m.message["Subject"].startswith("Nouv")]


def _known(account_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(KnownBrowser).where(KnownBrowser.account_id == account_id)
    )


def _other_browser(app, auth: Auth, user_agent: str | None = None) -> Auth:
    other = Auth(app.test_client(), auth.smtp)
    if user_agent:
        other.client.environ_base["HTTP_USER_AGENT"] = user_agent
    return other


def test_the_first_sign_in_ever_is_not_told_and_the_browser_is_remembered(auth, person, smtp):
    auth.sign_in(person)
    assert _told(smtp, person.email) == []
    assert _known(person.account.id) == 1
    cookie = auth.client.get_cookie(browsers.COOKIE_NAME)
    assert cookie is not None
    assert (cookie.http_only, cookie.path, cookie.same_site) == (True, "/", "Lax")


def test_a_known_browser_signing_in_again_is_not_told(auth, person, smtp):
    auth.sign_in(person)
    auth.sign_out()
    auth.sign_in(person)
    assert _told(smtp, person.email) == []
    assert _known(person.account.id) == 1


def test_a_new_browser_is_told_once_with_device_time_address_and_links(app, auth, person, smtp):
    auth.sign_in(person)
    laptop = _other_browser(app, auth, CHROME_LINUX)
    laptop.client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    laptop.sign_in(person)

    (told,) = _told(smtp, person.email)
    assert told.message["Subject"] == NEW_BROWSER_SUBJECT
    text = told.text
    assert "Appareil : Chrome 156 sous Linux" in text
    assert "Device: Chrome 156 on Linux" in text
    assert "Adresse IP : 203.0.113.9" in text
    assert "http://localhost/compte/sessions" in text
    assert "http://localhost/mot-de-passe" in text
    assert "Ordinateur public" not in text
    # The laptop is known from now on.
    laptop.sign_out()
    laptop.sign_in(person)
    assert len(_told(smtp, person.email)) == 1
    assert _known(person.account.id) == 2


def test_the_browser_cookie_names_no_account(app, auth, person, factory, smtp):
    """Two accounts on one browser share its identifier; each knows it on its own."""
    colleague = factory.person(name="Luc Gagnon")
    auth.sign_in(person)
    first = auth.client.get_cookie(browsers.COOKIE_NAME).value
    auth.sign_out()
    auth.sign_in(colleague)
    assert auth.client.get_cookie(browsers.COOKIE_NAME).value == first
    assert _told(smtp, colleague.email) == []  # the colleague's first sign-in ever
    elsewhere = _other_browser(app, auth)
    elsewhere.sign_in(colleague)
    assert len(_told(smtp, colleague.email)) == 1
    assert _told(smtp, person.email) == []


def test_a_forged_or_stolen_looking_cookie_is_a_new_browser(app, auth, person, smtp):
    auth.sign_in(person)
    forged = _other_browser(app, auth)
    forged.client.set_cookie(browsers.COOKIE_NAME, "x" * 10)
    forged.sign_in(person)
    assert len(_told(smtp, person.email)) == 1
    assert forged.client.get_cookie(browsers.COOKIE_NAME).value != "x" * 10


def test_a_public_computer_is_never_remembered(app, auth, person, smtp):
    auth.sign_in(person)
    kiosk = _other_browser(app, auth)
    kiosk.sign_in(person, public_computer="y")
    assert kiosk.client.get_cookie(browsers.COOKIE_NAME) is None
    (told,) = _told(smtp, person.email)
    assert "Ordinateur public ou partagé" in told.text
    kiosk.sign_out()
    kiosk.sign_in(person, public_computer="y")
    assert len(_told(smtp, person.email)) == 2
    assert _known(person.account.id) == 1


def test_an_account_forgets_its_oldest_browser_past_the_limit(auth, person, runtime, clock):
    account = person.account
    for _ in range(browsers.MAX_REMEMBERED):
        browsers.note_sign_in(
            db.session, runtime, account, browsers.new_identifier(), remember=True
        )
        clock.advance(seconds=1)
    db.session.commit()
    oldest = db.session.scalars(
        select(KnownBrowser).where(KnownBrowser.account_id == account.id).order_by(KnownBrowser.id)
    ).first()
    oldest_id = oldest.id
    sighting = browsers.note_sign_in(
        db.session, runtime, account, browsers.new_identifier(), remember=True
    )
    db.session.commit()
    assert sighting.new_to_account
    assert _known(account.id) == browsers.MAX_REMEMBERED
    assert db.session.get(KnownBrowser, oldest_id) is None


def test_only_the_hash_of_the_identifier_is_stored(auth, person):
    auth.sign_in(person)
    identifier = auth.client.get_cookie(browsers.COOKIE_NAME).value
    stored = db.session.scalars(select(KnownBrowser.browser_hash)).all()
    assert identifier not in stored
    assert [len(digest) for digest in stored] == [64]
