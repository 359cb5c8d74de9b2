"""Passkeys through the pages, with a software authenticator making real WebAuthn answers:
adding one (after the emailed code), signing in with it after the password or alone, removing
it; and the answers that must be refused (another site, a replay, a counter going back, a key
the account does not hold, no user verification)."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from idp.accounts.models import UserSession
from idp.extensions import db
from idp.passkeys.models import Passkey
from tests.conftest import Auth, csrf_token
from tests.passkeys.authenticator import SoftwareAuthenticator

MANAGE = "/compte/cles-d-acces"


def options_in(page: str) -> dict:
    found = re.search(r'data-options="([^"]+)"', page)
    assert found, "no passkey options on the page"
    return json.loads(html.unescape(found.group(1)))


def add_passkey(
    auth: Auth, authenticator: SoftwareAuthenticator, name: str = "Téléphone", path: str = MANAGE
):
    """Open ``path`` (« Mes clés d'accès »), send its form where the page says."""
    page = auth.client.get(path).get_data(as_text=True)
    answer = authenticator.create(options_in(page))
    response = auth.client.post(
        form_action(page), data={"csrf_token": csrf_token(page), "name": name, "credential": answer}
    )
    response.close()  # the notice leaves once the response is closed
    return response


def form_action(page: str) -> str:
    found = re.search(r'<form method="post" action="([^"]+)" data-passkey="create"', page)
    assert found, "no form to add a passkey on the page"
    return html.unescape(found.group(1))


def code_page(auth: Auth, person) -> str:
    response = auth.password_step(person.user_code, person.password)
    assert response.headers["Location"].endswith("/connexion/code")
    return auth.client.get("/connexion/code").get_data(as_text=True)


def post_answer(auth: Auth, path: str, page: str, answer: str, **extra: str):
    return auth.client.post(
        path, data={"csrf_token": csrf_token(page), "credential": answer, **extra}
    )


def passkey_alone_from(browser: Auth, key: SoftwareAuthenticator, sign_in_page: str, **answer):
    """« Utiliser une clé d'accès » on ``sign_in_page``: its form's address, then the answer."""
    page = browser.client.get(sign_in_page).get_data(as_text=True)
    token = csrf_token(page)
    options = browser.client.post(
        "/connexion/cle-d-acces/options", headers={"X-CSRFToken": token}
    ).get_json()
    action = re.search(r'action="(/connexion/cle-d-acces/sans-code[^"]*)"', page)
    assert action, "no passkey button on the sign-in page"
    portal = "citizen" if sign_in_page.startswith("/citoyens/") else "enterprise"
    return browser.client.post(
        html.unescape(action.group(1)),
        data={"csrf_token": token, "credential": key.get(options, **answer), "portal": portal},
    )


def current(auth: Auth) -> UserSession | None:
    db.session.expire_all()
    return db.session.scalars(
        select(UserSession)
        .where(UserSession.ended_at.is_(None), UserSession.stage == "authenticated")
        .order_by(UserSession.id.desc())
    ).first()


@pytest.fixture
def key() -> SoftwareAuthenticator:
    return SoftwareAuthenticator()


@pytest.fixture
def with_passkey(app, auth, person, key, smtp):
    """The person added a passkey, then signed out; a new browser is used from here."""
    auth.sign_in(person)
    assert add_passkey(auth, key).status_code == 302
    auth.sign_out()
    return Auth(app.test_client(), smtp)


def test_a_passkey_is_added_after_the_code_and_the_owner_is_told(auth, person, key, smtp):
    auth.sign_in(person)
    answer = add_passkey(auth, key, "Clé USB bleue")
    assert answer.headers["Location"].endswith(MANAGE)
    [passkey] = db.session.scalars(select(Passkey)).all()
    assert (passkey.account_id, passkey.name, passkey.sign_count) == (
        person.account.id,
        "Clé USB bleue",
        0,
    )
    page = auth.client.get(MANAGE + "?lang=en").get_data(as_text=True)
    assert "Clé USB bleue" in page
    assert "Remove this passkey" in page
    told = [m for m in smtp.messages if m.message["Subject"].startswith("Clé d'accès ajoutée")]
    assert len(told) == 1
    assert "« Clé USB bleue »" in told[0].text


def test_adding_a_passkey_needs_a_recent_code(auth, person, key, clock):
    auth.sign_in(person)
    clock.advance(minutes=11)
    page = auth.client.get(MANAGE + "?lang=en").get_data(as_text=True)
    assert "data-options" not in page
    assert "/verification?next=" in page
    # A form posted anyway (options from an older page) is sent to the code first.
    clock.advance(minutes=-11)
    old = auth.client.get(MANAGE).get_data(as_text=True)
    clock.advance(minutes=11)
    answer = auth.client.post(
        MANAGE,
        data={
            "csrf_token": csrf_token(old),
            "name": "Téléphone",
            "credential": key.create(options_in(old)),
        },
    )
    assert "/verification" in answer.headers["Location"]
    assert db.session.scalars(select(Passkey)).all() == []


def test_added_on_the_way_to_a_site_the_person_goes_back_there(auth, person, key):
    """From a site's passkey step (« Ajouter une clé d'accès »): once added, back to the
    site's request, which sends to the passkey step again, now with the key."""
    auth.sign_in(person)
    back_to = "/oidc/authorize?client_id=iqea&acr_values=urn:clicsequr:acr:phr"
    path = f"{MANAGE}?{urlencode({'next': back_to, 'lang': 'en'})}"
    page = auth.client.get(path).get_data(as_text=True)
    assert "you go back to the service you were going to" in page
    added = add_passkey(auth, key, path=path)
    assert added.headers["Location"] == back_to
    assert db.session.scalars(select(Passkey)).one().account_id == person.account.id


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_adding_never_goes_back_to_another_site(auth, person, key, elsewhere):
    auth.sign_in(person)
    path = f"{MANAGE}?{urlencode({'next': elsewhere, 'lang': 'en'})}"
    page = auth.client.get(path).get_data(as_text=True)
    assert "you go back to the service" not in page
    assert form_action(page) == MANAGE
    added = add_passkey(auth, key, path=path)
    assert added.headers["Location"] == MANAGE


def test_the_way_back_is_kept_through_the_emailed_code(auth, person, key, clock):
    auth.sign_in(person)
    clock.advance(minutes=11)
    back_to = "/oidc/authorize?client_id=iqea"
    page = auth.client.get(f"{MANAGE}?{urlencode({'next': back_to})}").get_data(as_text=True)
    step_up = re.search(r'href="(/verification\?next=[^"]+)"', page)
    assert step_up, "no link to the emailed code"
    after_code = parse_qs(urlsplit(html.unescape(step_up.group(1))).query)["next"][0]
    assert urlsplit(after_code).path == MANAGE
    assert parse_qs(urlsplit(after_code).query)["next"] == [back_to]
    # A form posted once the code is old: to the code, then back to the same page.
    clock.advance(minutes=-11)
    recent = auth.client.get(after_code).get_data(as_text=True)
    clock.advance(minutes=11)
    answer = auth.client.post(
        form_action(recent),
        data={
            "csrf_token": csrf_token(recent),
            "name": "Clé",
            "credential": key.create(options_in(recent)),
        },
    )
    sent = parse_qs(urlsplit(answer.headers["Location"]).query)["next"][0]
    assert sent == after_code


def test_the_code_page_offers_the_passkey_and_it_signs_in(with_passkey, person, key):
    browser = with_passkey
    page = code_page(browser, person)
    assert 'action="/connexion/cle-d-acces"' in page
    answer = post_answer(browser, "/connexion/cle-d-acces", page, key.get(options_in(page)))
    assert answer.status_code == 302
    assert not answer.headers["Location"].endswith("/connexion/code")
    signed_in = current(browser)
    assert signed_in is not None
    assert signed_in.amr == "pwd hwk user mfa"
    assert db.session.scalars(select(Passkey)).one().sign_count == 1


def test_no_passkey_no_offer_on_the_code_page(auth, person):
    assert "data-passkey" not in code_page(auth, person)


@pytest.mark.parametrize(
    "misbehaviour", ["other_site", "replay", "counter_back", "unknown_key", "no_verification"]
)
def test_answers_that_prove_nothing_are_refused(with_passkey, person, key, misbehaviour):
    browser = with_passkey
    page = code_page(browser, person)
    options = options_in(page)
    if misbehaviour == "other_site":
        answer = key.get(options, origin="https://clicsequr.example.net")
    elif misbehaviour == "counter_back":
        key.get(options)  # used elsewhere: the provider does not know, but the key is at 1
        db.session.scalars(select(Passkey)).one().sign_count = 5
        db.session.commit()
        answer = key.get(options, sign_count=3)
    elif misbehaviour == "unknown_key":
        stranger = SoftwareAuthenticator()
        stranger.create({"rp": {"id": "localhost"}, "user": {"id": "AAAA"}, "challenge": "AAAA"})
        answer = stranger.get(options, credential=stranger.credentials[0])
    elif misbehaviour == "no_verification":
        key.verifies_user = False
        answer = key.get(options)
    else:
        answer = key.get(options)
        assert post_answer(browser, "/connexion/cle-d-acces", page, answer).status_code == 302
        browser.sign_out()
        page = code_page(browser, person)
    refused = post_answer(browser, "/connexion/cle-d-acces", page, answer)
    assert refused.headers["Location"].endswith("/connexion/code")
    assert current(browser) is None
    # The refusal was flashed in the language of the refused request, French by default.
    again = browser.client.get("/connexion/code").get_data(as_text=True)
    assert "Cette clé d&#39;accès n&#39;a pas pu servir." in again


def test_a_passkey_alone_signs_in_without_the_user_code(with_passkey, person, key):
    browser = with_passkey
    login = browser.client.get("/connexion").get_data(as_text=True)
    assert 'data-options-url="/connexion/cle-d-acces/options"' in login
    token = csrf_token(login)
    options = browser.client.post(
        "/connexion/cle-d-acces/options", headers={"X-CSRFToken": token}
    ).get_json()
    assert options["allowCredentials"] == []
    answer = browser.client.post(
        "/connexion/cle-d-acces/sans-code",
        data={"csrf_token": token, "credential": key.get(options), "portal": "enterprise"},
    )
    assert answer.status_code == 302
    signed_in = current(browser)
    assert signed_in is not None
    assert (signed_in.account_id, signed_in.amr) == (person.account.id, "hwk user mfa")


def test_a_passkey_alone_is_refused_at_the_other_portal(with_passkey, key):
    answer = passkey_alone_from(with_passkey, key, "/citoyens/connexion")
    assert answer.headers["Location"] == "/citoyens/connexion"
    assert current(with_passkey) is None


def test_a_refused_passkey_alone_keeps_the_way_back_to_the_site(with_passkey, key):
    """Refused at the other portal: back to that sign-in page, still on the way to the site."""
    back_to = "/oidc/authorize?client_id=pesticides&scope=openid"
    sign_in_page = f"/citoyens/connexion?{urlencode({'next': back_to})}"
    answer = passkey_alone_from(with_passkey, key, sign_in_page)
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/citoyens/connexion"
    assert parse_qs(location.query)["next"] == [back_to]
    assert current(with_passkey) is None


def test_a_passkey_answer_refused_keeps_the_way_back_too(with_passkey, key):
    back_to = "/oidc/authorize?client_id=iqea"
    sign_in_page = f"/connexion?{urlencode({'next': back_to})}"
    answer = passkey_alone_from(with_passkey, key, sign_in_page, origin="https://evil.example")
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/connexion"
    assert parse_qs(location.query)["next"] == [back_to]
    assert current(with_passkey) is None


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_a_refused_passkey_alone_never_goes_back_to_another_site(with_passkey, key, elsewhere):
    answer = with_passkey.client.post(
        f"/connexion/cle-d-acces/sans-code?{urlencode({'next': elsewhere})}",
        data={
            "csrf_token": csrf_token(with_passkey.client.get("/connexion").get_data(as_text=True)),
            "credential": "{}",
            "portal": "citizen",
        },
    )
    assert answer.headers["Location"] == "/citoyens/connexion"


def test_removing_the_last_passkey_tells_the_owner(auth, person, key, smtp):
    auth.sign_in(person)
    add_passkey(auth, key)
    passkey = db.session.scalars(select(Passkey)).one()
    page = auth.client.get(MANAGE).get_data(as_text=True)
    removed = auth.client.post(
        f"{MANAGE}/{passkey.id}/retrait", data={"csrf_token": csrf_token(page)}
    )
    removed.close()
    assert removed.headers["Location"].endswith(MANAGE)
    assert db.session.scalars(select(Passkey)).all() == []
    told = [m for m in smtp.messages if m.message["Subject"].startswith("Dernière clé d'accès")]
    assert len(told) == 1


def test_nobody_removes_another_persons_passkey(app, auth, person, factory, key, smtp):
    auth.sign_in(person)
    add_passkey(auth, key)
    passkey = db.session.scalars(select(Passkey)).one()
    other = Auth(app.test_client(), smtp)
    other.sign_in(factory.person(name="Jean Autre"))
    page = other.client.get(MANAGE).get_data(as_text=True)
    answer = other.client.post(
        f"{MANAGE}/{passkey.id}/retrait", data={"csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 404
    assert db.session.scalars(select(Passkey)).one().id == passkey.id
