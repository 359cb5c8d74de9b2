"""axe-core on the provider's main pages, reached as a person reaches them, in French and in
English: signed out (sign-in, its waiting state, the help page, the citizens' sign-in steps; the
help, accessibility and privacy pages of both portals, also on a phone-sized screen),
signed in as an electronic services manager (code page, home, password change and its error,
the user files) and the link that confirms a new email address.

Sophie Côté (Conseils Verts Québec inc.) is the manager: no journey uses her. The new address
she gives Karim Haddad's file is only pending (never confirmed), so his codes still go to his
own address for journeys 5 and 7. Each language types wrong passwords for a user code of its
own, unknown to the provider: the per-user-code throttle of one never reaches another test.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accessibility import expect_no_violations
from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import (
    Mailbox,
    Person,
    accept_conditions,
    change_temporary_password,
    console_signed_in,
    create_user_file,
    demo_person,
    enter_emailed_code,
    enter_password,
    expect_conditions_page,
)

# The words of the pages, by language (the catalogue's French and its English source).
TEXT = {
    "fr": {
        "sign_in": "Se connecter à clicSÉQUR – Entreprises",
        "user_code": "Code d'utilisateur",
        "password": "Mot de passe",
        "continue": "Continuer",
        "what_to_do": "Ce que vous pouvez faire",
        "help": "Aide à la connexion",
        "citizen_sign_in": "Connexion à clicSÉQUR – Citoyens",
        "citizen_password": "Inscrivez votre mot de passe",
        "code": "Code de vérification",
        "confirm": "Confirmer",
        "answer_question": "Répondre à une question de sécurité",
        "question": "Répondez à votre question de sécurité",
        "welcome": "Bienvenue, {name}",
        "change_my_password": "Modifier mon mot de passe",
        "choose_password": "Choisissez un nouveau mot de passe",
        "current_password": "Mot de passe actuel",
        "new_password": "Nouveau mot de passe",
        "confirm_password": "Confirmez le nouveau mot de passe",
        "change_password": "Modifier le mot de passe",
        "not_the_same": "Les deux mots de passe ne sont pas identiques.",
        "users": "Utilisateurs",
        "modify": "Modifier les renseignements",
        "edit": "Modifier le dossier d'utilisateur de {name}",
        "email": "Courriel",
        "save": "Enregistrer les modifications",
        "pending": "Nouvelle adresse courriel",
        "confirm_email": "Confirmez votre nouvelle adresse courriel",
        # The footer's links and the headings of the pages they open.
        "footer": [
            ("Accessibilité", "Déclaration d'accessibilité"),
            ("Confidentialité", "Avis de confidentialité"),
            ("Aide", "Aide à la connexion"),
        ],
    },
    "en": {
        "sign_in": "Sign in to clicSÉQUR – Entreprises",
        "user_code": "User code",
        "password": "Password",
        "continue": "Continue",
        "what_to_do": "What you can do",
        "help": "Help with signing in",
        "citizen_sign_in": "Sign in to clicSÉQUR – Citoyens",
        "citizen_password": "Enter your password",
        "code": "Verification code",
        "confirm": "Confirm",
        "answer_question": "Answer a security question",
        "question": "Answer your security question",
        "welcome": "Welcome, {name}",
        "change_my_password": "Change my password",
        "choose_password": "Choose a new password",
        "current_password": "Current password",
        "new_password": "New password",
        "confirm_password": "Confirm the new password",
        "change_password": "Change the password",
        "not_the_same": "The two passwords are not the same.",
        "users": "Users",
        "modify": "Modify the details",
        "edit": "Modify the user file of {name}",
        "email": "Email",
        "save": "Save the changes",
        "pending": "New email address",
        "confirm_email": "Confirm your new email address",
        "footer": [
            ("Accessibility", "Accessibility statement"),
            ("Privacy", "Privacy notice"),
            ("Help", "Help with signing in"),
        ],
    },
}
WRONG_PASSWORD = "Pas-le-bon-mot-de-passe-2026"
# A phone held upright: the tables become cards, the menu wraps.
PHONE = {"width": 375, "height": 812}


def open_provider(contexts: Contexts, demo: DemoServers, language: str) -> Page:
    """The enterprise sign-in page in a context of its own, in ``language`` (« English » in
    the header switches it for the whole context)."""
    page = contexts.new(bypass_csp=True).new_page()
    page.goto(f"{demo.idp}/connexion")
    if language == "en":
        page.get_by_role("banner").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", re.compile(f"^{language}"))
    return page


def heading(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_main_pages_have_no_wcag_violations(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox, sophie: Person, language: str
):
    text = TEXT[language]

    # Signed out: the sign-in page, then its waiting state after three wrong passwords.
    page = open_provider(contexts, demo, language)
    heading(page, text["sign_in"])
    expect_no_violations(page, "the sign-in page")
    unknown_code = f"AXE{language[0].upper()}-{secrets.randbelow(9000) + 1000}"
    for _attempt in range(3):
        page.get_by_label(text["user_code"]).fill(unknown_code)
        page.get_by_label(text["password"], exact=True).fill(WRONG_PASSWORD)
        page.get_by_role("button", name=text["continue"]).click()
        expect(page.get_by_label(text["password"], exact=True)).to_have_value("")
    notice = page.locator("#what-to-do")
    expect(notice.get_by_role("heading", name=text["what_to_do"])).to_be_visible()
    expect_no_violations(page, "the sign-in page, waiting after wrong passwords")

    # The help page, from the waiting notice.
    notice.get_by_role("link", name=text["help"]).click()
    heading(page, text["help"])
    expect_no_violations(page, "the help page")

    # The citizens' sign-in, up to the security question (Sophie Gagnon of the demo data).
    page.get_by_role("main").get_by_role("link", name="clicSÉQUR – Citoyens").click()
    heading(page, text["citizen_sign_in"])
    expect_no_violations(page, "the citizen sign-in page")
    page.get_by_label(text["user_code"]).fill(sophie.user_code)
    page.get_by_role("button", name=text["continue"]).click()
    heading(page, text["citizen_password"])
    expect_no_violations(page, "the citizen password page")
    page.get_by_label(text["password"], exact=True).fill(sophie.password)
    page.get_by_role("button", name=text["continue"]).click()
    expect(page.get_by_label(text["code"])).to_be_visible()
    expect_no_violations(page, "the citizen code page")
    page.get_by_role("link", name=text["answer_question"]).click()
    heading(page, text["question"])
    expect_no_violations(page, "the security question page")

    # Signed in as an electronic services manager: code page, home page.
    esm = demo_person("ESMC-3456")
    page = open_provider(contexts, demo, language)
    page.get_by_label(text["user_code"]).fill(esm.user_code)
    page.get_by_label(text["password"], exact=True).fill(esm.password)
    page.get_by_role("button", name=text["continue"]).click()
    code_field = page.get_by_label(text["code"])
    expect(code_field).to_be_visible()
    expect_no_violations(page, "the code page")
    code_field.fill(mailbox.code_for(page.context, esm.email))
    page.get_by_role("button", name=text["confirm"]).click()
    heading(page, text["welcome"].format(name=esm.name))
    expect_no_violations(page, "the home page")

    # The password change, and its error state (the confirmation differs: nothing counted).
    page.get_by_role("link", name=text["change_my_password"]).click()
    heading(page, text["choose_password"])
    expect_no_violations(page, "the change-password page")
    page.get_by_label(text["current_password"]).fill(esm.password)
    page.get_by_label(text["new_password"], exact=True).fill("Lac-Memphremagog-Vent-2026")
    page.get_by_label(text["confirm_password"]).fill("Lac-Memphremagog-Vent-2027")
    page.get_by_role("button", name=text["change_password"]).click()
    expect(page.get_by_role("alert")).to_contain_text(text["not_the_same"])
    expect_no_violations(page, "the change-password page with an error")

    # The user files: the list, Karim Haddad's file, its edit page.
    consultant = demo_person("CNST-3457")
    page.get_by_role("navigation").get_by_role("link", name=text["users"]).click()
    heading(page, text["users"])
    expect_no_violations(page, "the user files list")
    page.get_by_role("main").get_by_role("link", name=consultant.name, exact=True).click()
    heading(page, consultant.name)
    expect_no_violations(page, "a user file page")
    page.get_by_role("link", name=text["modify"]).click()
    heading(page, text["edit"].format(name=consultant.name))
    expect_no_violations(page, "a user file's edit page")

    # A new address, left pending: the file shows it, the link's page asks to confirm.
    new_email = f"karim.haddad.{language}@courriel.example"
    page.get_by_label(text["email"], exact=True).fill(new_email)
    page.get_by_role("button", name=text["save"]).click()
    expect(page.get_by_role("main").get_by_text(text["pending"])).to_be_visible()
    expect_no_violations(page, "a user file page with a pending email address")
    page.goto(mailbox.link_for(page.context, new_email, "/courriel/confirmer/"))
    heading(page, text["confirm_email"])
    expect_no_violations(page, "the email confirmation page")


def test_the_conditions_of_use_of_a_new_user_have_no_wcag_violations(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
):
    """A user file made by Sophie Côté; its holder's first sign-in: the new password, then the
    conditions of use, declined once (the page that says what it means), then accepted."""
    esm = demo_person("ESMC-3456")
    console = contexts.page()
    console_signed_in(console, demo.idp, mailbox, esm)
    user = create_user_file(
        console, mailbox, esm, "Nadia", "Cloutier", "nadia.cloutier@conseilsverts.example"
    )

    page = open_provider(contexts, demo, "fr")
    enter_password(page, user)
    enter_emailed_code(page, mailbox, user)
    change_temporary_password(page, user)
    expect_conditions_page(page)
    expect(page.get_by_role("main")).to_contain_text("Confidentialité du code d'utilisateur")
    expect_no_violations(page, "the conditions of use page")

    page.get_by_role("button", name="Je refuse").click()
    heading(page, "Vous avez refusé les conditions d'utilisation")
    expect_no_violations(page, "the page after declining the conditions of use")
    page.get_by_role("link", name="Relire les conditions").click()
    accept_conditions(page, user)
    heading(page, f"Bienvenue, {user.name}")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_information_pages_have_no_wcag_violations(
    contexts: Contexts, demo: DemoServers, language: str
):
    """Help, accessibility and privacy, opened from the footer of each portal's sign-in page, on
    the default screen and on a phone."""
    page = open_provider(contexts, demo, language)
    wide = page.viewport_size
    assert wide is not None
    for sign_in in ("/connexion", "/citoyens/connexion"):
        for link, title in TEXT[language]["footer"]:
            page.goto(f"{demo.idp}{sign_in}")
            page.get_by_role("contentinfo").get_by_role("link", name=link, exact=True).click()
            heading(page, title)
            assert page.url.startswith(demo.idp + sign_in.removesuffix("/connexion")), page.url
            expect_no_violations(page, f"« {title} » from {sign_in}")
            page.set_viewport_size(PHONE)
            expect_no_violations(page, f"« {title} » from {sign_in}, on a phone")
            page.set_viewport_size(wide)
