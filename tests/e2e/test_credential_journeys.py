"""Passwords, codes and email addresses in a real browser: what a person reads and does when
sign-in asks them to wait, when an electronic services manager gives a user a new address,
when a password changes while another browser is signed in, and when a new code is asked for.

Each journey has people of its own, so that no delay, code or password leaks into another
test: journey 11 types wrong passwords for user codes nobody has; journey 12 changes Jean
Roy's address (the ``jean_roy`` fixture carries the new one to journey 7); journey 13 changes
Pierre Lefebvre's password and journey 14 uses Julie Bergeron's codes, whom no other test uses.
"""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Locator, Page, expect

from tests.e2e.accessibility import expect_no_violations
from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import (
    Mailbox,
    Person,
    console_signed_in,
    demo_person,
    enter_emailed_code,
    enter_password,
    iqea_sign_in,
    iqea_signed_out,
    labelled_value,
)

# « 14 h 05 » (fr_CA), the spaces possibly non-breaking.
TIME = r"\d{1,2}\s?h\s?\d{2}"
SIGN_IN_HEADING = "Se connecter à clicSÉQUR – Entreprises"
# Jean Roy's new address: a domain of its own, so no other address contains it.
JEAN_ROY_NEW_EMAIL = "jean.roy@courriel.example"
CONFIRM_PATH = "/courriel/confirmer/"


def stranger() -> Person:
    """Someone typing a user code the provider does not know, new for each call."""
    return Person(
        f"ATTN-{secrets.randbelow(9000) + 1000}",
        "Personne",
        "personne@courriel.example",
        password="Pas-le-bon-mot-de-passe-2026",
    )


def what_to_do(page: Page) -> Locator:
    """The « Ce que vous pouvez faire » notice of a page that asks to wait."""
    heading = page.get_by_role("heading", name="Ce que vous pouvez faire")
    return page.get_by_role("main").locator(".notice").filter(has=heading)


def test_11_three_wrong_passwords_make_the_next_attempt_wait_and_say_what_to_do(
    page: Page, demo: DemoServers
):
    person = stranger()
    page.goto(f"{demo.idp}/connexion")

    # Each wrong password says how many attempts are left before a wait.
    alert = page.get_by_role("alert")
    for left in ("Il reste 2 tentatives avant un délai d'attente.", "Il reste 1 tentative "):
        enter_password(page, person)
        expect(alert).to_contain_text(left)
        expect(what_to_do(page)).to_have_count(0)

    # The third: the next attempt waits until a time, and the page says what to do meanwhile.
    enter_password(page, person)
    expect(alert).to_contain_text(
        re.compile(f"Pour votre sécurité, la prochaine tentative doit attendre jusqu'à {TIME}")
    )
    notice = what_to_do(page)
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("un nouveau mot de passe temporaire")

    # Counted per user code: another one typed in the same browser starts from its own count.
    enter_password(page, stranger())
    expect(alert).to_contain_text("Il reste 2 tentatives avant un délai d'attente.")
    expect(what_to_do(page)).to_have_count(0)
    enter_password(page, person)
    expect(alert).to_contain_text(re.compile(f"Vous pourrez réessayer après {TIME}"))

    # The notice's link: the help page, at the enterprises' section, explains the delays.
    what_to_do(page).get_by_role("link", name="Aide à la connexion").click()
    expect(page.get_by_role("heading", name="Aide à la connexion", exact=True)).to_be_visible()
    assert page.url == f"{demo.idp}/aide#entreprises", page.url
    expect(
        page.get_by_role("heading", name="Comptes d'entreprise : mot de passe oublié")
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name="Mots de passe erronés, délais d'attente et verrouillage")
    ).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        "Après 3 mots de passe erronés en 1 minute, la tentative suivante doit attendre"
    )


def test_12_esm_gives_a_user_a_new_email_address_that_its_owner_confirms(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox, esm: Person, jean_roy: Person
):
    """Not here: the step-up of a manager whose code is older than 10 minutes (the window is
    real time in the live servers); tests/enterprises/test_email_change.py moves the clock."""
    old_email, new_email = jean_roy.email, JEAN_ROY_NEW_EMAIL
    admin = contexts.page()
    console_signed_in(admin, demo.idp, mailbox, esm)

    # Jean Roy's file → « Modifier les renseignements » → a new address, saved at once (her
    # code was entered a moment ago).
    admin.get_by_role("navigation").get_by_role("link", name="Utilisateurs").click()
    admin.get_by_role("main").get_by_role("link", name=jean_roy.name, exact=True).click()
    admin.get_by_role("link", name="Modifier les renseignements").click()
    expect(
        admin.get_by_role("heading", name=f"Modifier le dossier d'utilisateur de {jean_roy.name}")
    ).to_be_visible()
    email_field = admin.get_by_label("Courriel", exact=True)
    expect(email_field).to_have_value(old_email)
    email_field.fill(new_email)
    admin.get_by_role("button", name="Enregistrer les modifications").click()
    expect(admin.get_by_text("Le dossier d'utilisateur a été mis à jour.")).to_be_visible()
    sent = admin.get_by_text(f"Un lien de confirmation a été envoyé à {new_email}.")
    expect(sent).to_be_visible()
    file_url = admin.url

    # The file: the address is still the old one, the new one waits for its owner.
    pending = labelled_value(admin, "Nouvelle adresse courriel")
    expect(pending).to_contain_text(new_email)
    expect(pending).to_contain_text("en attente")
    expect(labelled_value(admin, "Courriel")).to_have_text(old_email)

    # The link goes to the new address only.
    link = mailbox.link_for(admin.context, new_email, CONFIRM_PATH)
    to_old = mailbox.bodies_to(admin.context, old_email)
    assert not [body for body in to_old if CONFIRM_PATH in body], to_old

    # Its owner opens it: a page with a button; opening it alone changes nothing.
    owner = contexts.page()
    owner.goto(link)
    expect(
        owner.get_by_role("heading", name="Confirmez votre nouvelle adresse courriel")
    ).to_be_visible()
    expect(owner.get_by_role("main")).to_contain_text(new_email)
    admin.goto(file_url)
    expect(labelled_value(admin, "Courriel")).to_have_text(old_email)
    expect(labelled_value(admin, "Nouvelle adresse courriel")).to_contain_text(new_email)

    # « Confirmer »: the address changes; the old one is told, with the new one named.
    owner.get_by_role("button", name="Confirmer").click()
    expect(owner.get_by_text("L'adresse courriel est changée.")).to_be_visible()
    jean_roy.email = new_email
    notice = mailbox.newest_saying(owner.context, old_email, "a été remplacée par")
    assert new_email in notice, notice
    admin.goto(file_url)
    expect(labelled_value(admin, "Courriel")).to_have_text(new_email)
    expect(labelled_value(admin, "Nouvelle adresse courriel")).to_have_count(0)

    # Jean Roy's next sign-in: the code goes to the new address.
    expect(owner.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
    enter_password(owner, jean_roy)
    expect(owner.get_by_role("main")).to_contain_text("j•••@courriel.example")
    enter_emailed_code(owner, mailbox, jean_roy)
    expect(owner.get_by_role("heading", name=f"Bienvenue, {jean_roy.name}")).to_be_visible()
    newest_to_old = mailbox.bodies_to(owner.context, old_email)[0]
    assert "a été remplacée par" in newest_to_old, newest_to_old


def test_13_changing_the_password_ends_the_other_sessions_and_the_iqea_session(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
):
    # Pierre Lefebvre, ESM of Cimenterie Outaouais inc. (registered at the MELCCFP): signed in
    # at IQEA through the provider in one browser...
    person = demo_person("ESMD-5678")
    other = contexts.page()
    iqea_sign_in(other, demo.iqea, mailbox, person)
    other.goto(f"{demo.idp}/")
    expect(other.get_by_role("heading", name=f"Bienvenue, {person.name}")).to_be_visible()

    # ...and at the provider in another, where he changes his password.
    page = contexts.page()
    console_signed_in(page, demo.idp, mailbox, person)
    page.get_by_role("link", name="Modifier mon mot de passe").click()
    expect(page.get_by_role("heading", name="Choisissez un nouveau mot de passe")).to_be_visible()
    new_password = "Riviere-Rouge-Outaouais-2026"
    page.get_by_label("Mot de passe actuel").fill(person.password)
    page.get_by_label("Nouveau mot de passe", exact=True).fill(new_password)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(new_password)
    page.get_by_role("button", name="Modifier le mot de passe").click()
    expect(page.get_by_text("Votre mot de passe a été modifié.")).to_be_visible()
    person.password = new_password

    # The other browser: signed out at the provider, and at IQEA (back-channel logout).
    other.reload()
    expect(other.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
    assert other.url.startswith(f"{demo.idp}/connexion"), other.url
    other.goto(f"{demo.iqea}/")
    expect(iqea_signed_out(other)).to_be_visible()

    # This one stays signed in.
    page.reload()
    expect(page.get_by_role("heading", name=f"Bienvenue, {person.name}")).to_be_visible()


def test_14_a_new_code_waits_for_the_last_one_until_wrong_entries_void_it(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
):
    # Axe-core also checks the code page in the states below (hence bypass_csp).
    page = contexts.new(bypass_csp=True).new_page()
    person = demo_person("ESMB-4567")
    emails = mailbox.count_to(page.context, person.email)
    page.goto(f"{demo.idp}/connexion")
    enter_password(page, person)
    code_field = page.get_by_label("Code de vérification")
    expect(code_field).to_be_visible()

    # « Transmettre un nouveau code » right away: none sent, and from when one can be asked.
    page.get_by_role("button", name="Transmettre un nouveau code").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "Aucun nouveau code n'a été envoyé : le dernier code, envoyé il y a un instant, "
        "est encore valide."
    )
    expect(alert).to_contain_text(
        re.compile(f"Vous pourrez demander un nouveau code à partir de {TIME}")
    )
    assert mailbox.count_to(page.context, person.email) == emails + 1
    first_code = mailbox.code_for(page.context, person.email)
    expect_no_violations(page, "the code page, no new code sent")

    # Five wrong codes: the code is void.
    wrong = "000000" if first_code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        code_field.fill(wrong)
        page.get_by_role("button", name="Confirmer").click()
        expect(alert).to_contain_text(f"Il vous reste {left} essai")
    code_field.fill(wrong)
    page.get_by_role("button", name="Confirmer").click()
    expect(alert).to_contain_text("Trop d'erreurs de saisie : ce code est annulé.")
    expect(page.get_by_role("heading", name="Demandez un nouveau code")).to_be_visible()
    expect_no_violations(page, "the code page, code void")

    # A new code at once: a second email, whose code signs in.
    page.get_by_role("button", name="Transmettre un nouveau code").click()
    expect(
        page.get_by_text("Un nouveau code a été transmis. Seul le code le plus récent est valide.")
    ).to_be_visible()
    assert mailbox.count_to(page.context, person.email) == emails + 2
    enter_emailed_code(page, mailbox, person)
    expect(page.get_by_role("heading", name=f"Bienvenue, {person.name}")).to_be_visible()
