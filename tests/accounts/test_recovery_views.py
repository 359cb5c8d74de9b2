"""The recovery pages of clicSÉQUR – Entreprises, in French and English, with the emails as the
test SMTP server receives them (sent only once the response is closed)."""

from __future__ import annotations

import re

import pytest

from idp.accounts.models import AccountStatus
from idp.extensions import db
from tests.conftest import csrf_token

FORGOT = "/connexion/mot-de-passe-oublie"
FORGOT_CODE = "/connexion/code-utilisateur-oublie"
NEW_PASSWORD = "Fjord-Tadoussac-Baleine-42"
SENT_FR = "Si les renseignements correspondent à un compte, un courriel a été envoyé."
SENT_EN = "If the details match an account, an email has been sent."


def submit(client, path, data, lang="fr"):
    page = client.get(f"{path}?lang={lang}")
    assert page.status_code == 200
    response = client.post(
        f"{path}?lang={lang}", data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    return response


def emailed_link(smtp, email) -> str:
    for captured in reversed(smtp.messages):
        if email in captured.to:
            match = re.search(
                r"http://localhost(/connexion/mot-de-passe-oublie/\S+)", captured.text
            )
            if match:
                return match.group(1)
    raise AssertionError(f"no link sent to {email}")


def test_the_sign_in_page_links_to_both_recovery_pages(client):
    fr = client.get("/connexion").get_data(as_text=True)
    assert f'href="{FORGOT}">Mot de passe oublié?' in fr
    assert f'href="{FORGOT_CODE}">Code d\'utilisateur oublié?' in fr
    en = client.get("/connexion?lang=en").get_data(as_text=True)
    assert "Forgot your password?" in en
    assert "Forgot your user code?" in en


@pytest.mark.parametrize(("lang", "sent"), [("fr", SENT_FR), ("en", SENT_EN)])
def test_the_same_page_whether_or_not_an_account_matches(client, person, smtp, lang, sent):
    known = submit(client, FORGOT, {"user_code": person.user_code, "email": person.email}, lang)
    unknown = submit(client, FORGOT, {"user_code": "ZZZZ-9999", "email": person.email}, lang)
    wrong = submit(client, FORGOT, {"user_code": person.user_code, "email": "x@example.com"}, lang)

    pages = [r.get_data(as_text=True) for r in (known, unknown, wrong)]
    assert {r.status_code for r in (known, unknown, wrong)} == {200}
    assert sent in pages[0]
    strip = lambda html: re.sub(r'name="csrf_token"[^>]*>', "", html)  # noqa: E731
    assert strip(pages[0]) == strip(pages[1]) == strip(pages[2])

    # Nothing is sent before the response is over: then one email, for the match only.
    assert smtp.count_to(person.email) == 0
    for response in (known, unknown, wrong):
        response.close()
    assert smtp.count_to(person.email) == 1


def test_a_malformed_email_is_refused_on_its_field(client, smtp):
    response = submit(client, FORGOT, {"user_code": "KXMP-4827", "email": "pas-une-adresse"})
    html = response.get_data(as_text=True)
    assert "Inscrivez une adresse courriel valide" in html
    assert 'value="KXMP-4827"' in html  # what was typed is kept
    response.close()
    assert smtp.messages == []


def test_reset_by_link_then_sign_in_with_the_new_password(client, auth, person, smtp):
    submit(client, FORGOT, {"user_code": person.user_code, "email": person.email}).close()
    (message,) = smtp.messages
    assert message.message["Subject"].startswith("Réinitialisez votre mot de passe clicSÉQUR")
    assert "30 minutes" not in message.text  # the deadline is a date and time
    assert "22 novembre 2026, 09:30" in message.text
    assert "November 22, 2026, 9:30 AM" in message.text
    link = emailed_link(smtp, person.email)

    page = client.get(link)
    assert page.status_code == 200
    assert "Choisissez un nouveau mot de passe" in page.get_data(as_text=True)
    response = client.post(
        link,
        data={
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    response.close()
    notice = smtp.messages[-1]
    assert notice.message["Subject"].startswith("Mot de passe de votre compte changé")
    assert person.user_code in notice.text

    person.password = NEW_PASSWORD
    assert auth.sign_in(person).status_code == 302
    assert client.get(link).status_code == 404  # used


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "Les deux mots de passe ne sont pas identiques."),
        ("en", "The two passwords are not the same."),
    ],
)
def test_a_bad_new_password_is_explained_and_the_link_kept(client, person, smtp, lang, message):
    submit(client, FORGOT, {"user_code": person.user_code, "email": person.email}).close()
    link = emailed_link(smtp, person.email)
    response = submit(
        client, link, {"new_password": NEW_PASSWORD, "confirm_password": "autre chose"}, lang
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    short = submit(client, link, {"new_password": "court", "confirm_password": "court"}, lang)
    assert "12" in short.get_data(as_text=True)
    assert client.get(link).status_code == 200


@pytest.mark.parametrize(
    ("lang", "message"),
    [("fr", "Ce lien n'est plus valide"), ("en", "This link is no longer valid")],
)
def test_an_expired_or_unknown_link_says_so(client, person, smtp, clock, lang, message):
    submit(client, FORGOT, {"user_code": person.user_code, "email": person.email}).close()
    link = emailed_link(smtp, person.email)
    clock.advance(minutes=31)
    for path in (link, f"{FORGOT}/nimporte-quoi"):
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 404
        html = response.get_data(as_text=True).replace("&#39;", "'")
        assert message in html
        assert f'href="{FORGOT}"' in html


def test_forgotten_user_code_by_email_and_neq(client, factory, smtp):
    first = factory.person(email="partage@example.com")
    second = factory.person(email="partage@example.com")
    enterprise = second.account.enterprise
    response = submit(client, FORGOT_CODE, {"email": "partage@example.com", "neq": enterprise.neq})
    assert SENT_FR in response.get_data(as_text=True)
    response.close()
    (message,) = smtp.messages
    assert second.user_code in message.text
    assert first.user_code not in message.text
    assert enterprise.legal_name in message.text

    bad = submit(client, FORGOT_CODE, {"email": "partage@example.com", "neq": "123"}, "en")
    assert "The NEQ has 10 digits." in bad.get_data(as_text=True)


def test_requests_are_throttled_with_a_time_to_come_back(client, person, smtp):
    for _ in range(3):
        submit(client, FORGOT, {"user_code": person.user_code, "email": person.email}).close()
    response = submit(client, FORGOT, {"user_code": person.user_code, "email": person.email}, "en")
    assert response.status_code == 200
    assert "Too many requests. You may try again after" in response.get_data(as_text=True)
    response.close()
    assert smtp.count_to(person.email) == 3


def test_a_suspended_account_gets_nothing(client, factory, smtp):
    person = factory.person(status=AccountStatus.SUSPENDED)
    submit(client, FORGOT, {"user_code": person.user_code, "email": person.email}).close()
    assert smtp.messages == []
    db.session.rollback()


def test_changing_the_password_also_sends_the_notice(auth, person, smtp):
    auth.sign_in(person)
    before = smtp.count_to(person.email)
    response = auth.form_post(
        "/mot-de-passe",
        {
            "current_password": person.password,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert smtp.count_to(person.email) == before
    response.close()
    assert smtp.count_to(person.email) == before + 1
    assert smtp.messages[-1].message["Subject"].startswith("Mot de passe de votre compte changé")


def test_a_forced_first_change_sends_no_notice(auth, factory, smtp):
    person = factory.person(temporary=True)
    auth.sign_in(person)
    before = smtp.count_to(person.email)
    response = auth.form_post(
        "/mot-de-passe", {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    response.close()
    assert smtp.count_to(person.email) == before
