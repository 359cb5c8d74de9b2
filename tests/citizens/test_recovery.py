"""clicSÉQUR – Citoyens recovery pages: the link asks a security question, in the person's
language; the user code reminder."""

from __future__ import annotations

import re

import pytest

from tests.citizens.conftest import ANSWERS, make_citizen, question_on
from tests.conftest import csrf_token

FORGOT = "/citoyens/connexion/mot-de-passe-oublie"
FORGOT_CODE = "/citoyens/connexion/code-utilisateur-oublie"
NEW_PASSWORD = "Fjord-Tadoussac-Baleine-42"


def submit(client, path, data, lang="fr"):
    page = client.get(f"{path}?lang={lang}")
    assert page.status_code == 200
    return client.post(
        f"{path}?lang={lang}", data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))}
    )


def link_to(smtp, email) -> str:
    for captured in reversed(smtp.messages):
        if email in captured.to:
            match = re.search(
                r"http://localhost(/citoyens/connexion/mot-de-passe-oublie/\S+)", captured.text
            )
            if match:
                return match.group(1)
    raise AssertionError(f"no link sent to {email}")


def test_the_citizen_sign_in_pages_link_to_recovery(client, browser, citizen):
    html = client.get("/citoyens/connexion").get_data(as_text=True)
    assert f'href="{FORGOT}"' in html
    assert f'href="{FORGOT_CODE}"' in html
    browser.user_code_step(citizen.user_code)
    assert f'href="{FORGOT}"' in client.get("/citoyens/connexion/mot-de-passe").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("locale", "subject"),
    [
        ("fr", "Réinitialisez votre mot de passe clicSÉQUR – Citoyens"),
        ("en", "Reset your clicSÉQUR – Citizens password"),
    ],
)
def test_the_link_comes_in_the_citizens_language(client, runtime, smtp, locale, subject):
    citizen = make_citizen(runtime, locale=locale)
    response = submit(client, FORGOT, {"user_code": citizen.user_code, "email": citizen.email})
    assert "Si les renseignements correspondent à un compte" in response.get_data(as_text=True)
    assert "clicSÉQUR – Citoyens" in response.get_data(as_text=True)
    response.close()
    (message,) = smtp.messages
    assert message.message["Subject"] == subject
    assert message.message["Content-Language"] == locale


def test_question_then_new_password_then_sign_in(client, browser, citizen, smtp):
    submit(client, FORGOT, {"user_code": citizen.user_code, "email": citizen.email}).close()
    link = link_to(smtp, citizen.email)

    page = client.get(f"{link}?lang=en").get_data(as_text=True)
    asked = question_on(page)
    wrong = submit(
        client,
        link,
        {"answer": "pas ça", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        "en",
    )
    assert "The answer is not right. 2 attempts left." in wrong.get_data(as_text=True)

    right = submit(
        client,
        link,
        {
            "answer": dict(ANSWERS)[asked],
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert right.status_code == 302
    assert right.headers["Location"] == "/citoyens/connexion"
    right.close()
    assert smtp.messages[-1].message["Subject"] == (
        "Mot de passe de votre compte clicSÉQUR – Citoyens changé"
    )
    assert browser.sign_in(citizen, NEW_PASSWORD).status_code == 302


def test_three_wrong_answers_void_the_link(client, citizen, smtp):
    submit(client, FORGOT, {"user_code": citizen.user_code, "email": citizen.email}).close()
    link = link_to(smtp, citizen.email)
    data = {"answer": "non", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    submit(client, link, data)
    submit(client, link, data)
    last = submit(client, link, data)
    assert last.status_code == 404
    assert "Trop de réponses erronées" in last.get_data(as_text=True)
    assert client.get(link).status_code == 404


def test_an_enterprise_link_does_not_open_here(client, person, smtp):
    page = client.get("/connexion/mot-de-passe-oublie")
    client.post(
        "/connexion/mot-de-passe-oublie",
        data={
            "user_code": person.user_code,
            "email": person.email,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    ).close()
    token = re.search(r"mot-de-passe-oublie/(\S+)", smtp.messages[-1].text).group(1)
    assert client.get(f"{FORGOT}/{token}").status_code == 404


def test_the_user_code_reminder(client, citizen, smtp):
    response = submit(client, FORGOT_CODE, {"email": citizen.email.upper()}, "en")
    assert "If the details match an account, an email has been sent." in response.get_data(
        as_text=True
    )
    assert 'name="neq"' not in client.get(FORGOT_CODE).get_data(as_text=True)
    response.close()
    (message,) = smtp.messages
    assert message.message["Subject"] == "Votre code d'utilisateur clicSÉQUR – Citoyens"
    assert citizen.user_code in message.text
