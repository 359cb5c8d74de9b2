"""Emails to citizens: one language, the one they chose, signed by their own portal."""

from __future__ import annotations

from tests.citizens.conftest import AMELIE, make_citizen


def test_the_sign_in_code_is_sent_in_the_citizens_language(browser, runtime, smtp):
    account = make_citizen(runtime, AMELIE, user_code="4567-WXYZ", locale="en")
    browser.user_code_step(account.user_code)
    browser.password_step()
    [mail] = [m for m in smtp.messages if account.email in m.to]
    assert mail.message["Subject"] == "clicSÉQUR – Citizens verification code"
    assert mail.message["Content-Language"] == "en"
    assert "Here is your clicSÉQUR – Citizens verification code" in mail.text
    assert "Entreprises" not in mail.text
    assert "Voici" not in mail.text


def test_a_french_citizen_gets_the_code_in_french(browser, citizen, smtp):
    browser.user_code_step(citizen.user_code)
    browser.password_step()
    [mail] = [m for m in smtp.messages if citizen.email in m.to]
    assert mail.message["Subject"] == "Code de vérification clicSÉQUR – Citoyens"
    assert "Voici votre code de vérification clicSÉQUR – Citoyens" in mail.text
    assert "Entreprises" not in mail.text
    # The code in it works.
    response = browser.code_step(citizen.email)
    assert response.headers["Location"].endswith("/citoyens/")
