"""Account recovery in a real browser, on both portals: « Mot de passe oublié? » from the
sign-in page, the link read in the demo mailbox, a new password (a citizen first answers a
security question), then a sign-in with it; « Code d'utilisateur oublié? » on the way. axe-core
checks every page of the journeys (the context is made with ``bypass_csp`` for its script).

Louise Gagnon, the authorized representative of Aciérie Saint-Laurent inc., is used by no other
journey; the citizen is a fictional taxpayer of ``config/demo-taxpayers.toml`` that no other
test uses, who creates an account first.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.accessibility import expect_no_violations
from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import (
    CitizenChoices,
    Mailbox,
    Person,
    accept_conditions,
    activate_citizen_account,
    citizen_enter_password,
    create_citizen_account,
    demo_person,
    demo_taxpayer,
    enter_emailed_code,
    expect_citizen_sign_in_page,
    sign_in,
)

SENT = "Si les renseignements correspondent à un compte, un courriel a été envoyé."
CHANGED = "Votre mot de passe a été changé. Connectez-vous avec votre nouveau mot de passe."
CITIZEN_TAXPAYER = demo_taxpayer("Mathis", "Pelletier", "mathis.pelletier@courriel.example")
CITIZEN_CHOICES = CitizenChoices(
    image="Un phare",
    phrase="La neige tombe sur le quai",
    questions=(
        ("Quel a été votre premier emploi?", "Plongeur"),
        ("Quel est le prénom de votre meilleur ami d'enfance?", "Félix"),
        ("Dans quelle ville vos parents se sont-ils rencontrés?", "Matane"),
        ("Quelle était la marque de votre première voiture?", "Civic"),
    ),
    password="Baie-des-Chaleurs-Goeland-2026",
)


def checked(page: Page, where: str) -> None:
    expect_no_violations(page, where)


def ask_for_a_reset_link(page: Page, user_code: str, email: str) -> None:
    """From a sign-in page: « Mot de passe oublié? », the form, the page that says the same
    whatever happened."""
    page.get_by_role("link", name="Mot de passe oublié?").first.click()
    expect(page.get_by_role("heading", name="Mot de passe oublié?")).to_be_visible()
    checked(page, "the forgotten password form")
    page.get_by_label("Code d'utilisateur").fill(user_code)
    page.get_by_label("Adresse courriel").fill(email)
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_role("heading", name="Consultez vos courriels")).to_be_visible()
    expect(page.get_by_text(SENT)).to_be_visible()
    checked(page, "the « email sent » page")


def choose_new_password(page: Page, password: str) -> None:
    """On the link's page: first a refused confirmation (its error page is checked too)."""
    expect(page.get_by_role("heading", name="Choisissez un nouveau mot de passe")).to_be_visible()
    checked(page, "the new password form")
    page.get_by_label("Nouveau mot de passe", exact=True).fill(password)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(password + "-autre")
    page.get_by_role("button", name="Modifier le mot de passe").click()
    expect(page.get_by_text("Les deux mots de passe ne sont pas identiques.").first).to_be_visible()
    checked(page, "the new password form with an error")
    page.get_by_label("Nouveau mot de passe", exact=True).fill(password)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(password)


def test_16_a_representative_recovers_a_forgotten_user_code_and_password(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
) -> None:
    louise: Person = demo_person("REPA-2347")
    page = contexts.new(bypass_csp=True).new_page()
    page.goto(f"{demo.idp}/connexion")
    checked(page, "the enterprise sign-in page")

    page.get_by_role("link", name="Code d'utilisateur oublié?").click()
    expect(page.get_by_role("heading", name="Code d'utilisateur oublié?")).to_be_visible()
    checked(page, "the forgotten user code form")
    page.get_by_label("Adresse courriel").fill(louise.email)
    page.get_by_role("button", name="Envoyer mon code d'utilisateur").click()
    expect(page.get_by_text(SENT)).to_be_visible()
    checked(page, "the « email sent » page (user code)")
    body = mailbox.newest_saying(page.context, louise.email, louise.user_code)
    assert "Vos codes d'utilisateur" in body or louise.user_code in body

    page.get_by_role("link", name="Retour à la connexion").click()
    ask_for_a_reset_link(page, louise.user_code, louise.email)
    link = mailbox.link_for(page.context, louise.email, "/connexion/mot-de-passe-oublie/")
    page.goto(link)
    louise.password = "Ile-d-Orleans-Fraises-2026"
    choose_new_password(page, louise.password)
    page.get_by_role("button", name="Modifier le mot de passe").click()

    expect(page.get_by_text(CHANGED)).to_be_visible()
    checked(page, "the sign-in page after the reset")
    notice = mailbox.newest_saying(page.context, louise.email, "a été changé le")
    assert louise.user_code in notice
    sign_in(page, mailbox, louise)
    expect(page.get_by_role("heading", name=f"Bienvenue, {louise.name}")).to_be_visible()
    checked(page, "the home page after signing in with the new password")

    page.goto(link)  # the link was used
    expect(page.get_by_role("heading", name="Ce lien ne peut pas être utilisé")).to_be_visible()


def test_17_a_citizen_resets_a_forgotten_password_with_a_security_question(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
) -> None:
    page = contexts.new(bypass_csp=True).new_page()
    page.goto(f"{demo.idp}/citoyens/connexion")
    create_citizen_account(page, CITIZEN_TAXPAYER, CITIZEN_CHOICES)
    user_code = activate_citizen_account(page, mailbox, CITIZEN_TAXPAYER)
    citizen = Person(user_code, CITIZEN_TAXPAYER.name, CITIZEN_TAXPAYER.email)

    page.goto(f"{demo.idp}/citoyens/connexion")
    expect_citizen_sign_in_page(page)
    checked(page, "the citizen sign-in page")
    ask_for_a_reset_link(page, user_code, citizen.email)
    link = mailbox.link_for(page.context, citizen.email, "/citoyens/connexion/mot-de-passe-oublie/")
    page.goto(link)

    question = page.locator("#asked-question").inner_text().strip()
    answers = dict(CITIZEN_CHOICES.questions)
    assert question in answers, question
    citizen.password = "Gaspesie-Rocher-Perce-2027"
    choose_new_password(page, citizen.password)
    page.get_by_label("Votre réponse").fill(answers[question])
    page.get_by_role("button", name="Modifier le mot de passe").click()

    expect(page.get_by_text(CHANGED)).to_be_visible()
    expect_citizen_sign_in_page(page)
    checked(page, "the citizen sign-in page after the reset")
    citizen_enter_password(page, citizen)
    enter_emailed_code(page, mailbox, citizen)
    # A new citizen's first sign-in: the conditions of use come first.
    checked(page, "the citizen conditions of use")
    accept_conditions(page, citizen)
    expect(
        page.get_by_role("heading", name=re.compile(f"Bienvenue, {citizen.name}"))
    ).to_be_visible()
    checked(page, "the citizen home after signing in with the new password")
