"""The citizens' journeys in a real browser: clicSÉQUR – Citoyens and the pesticide certificate
site of the MELCCFP (OpenID Connect, a citizen service).

Journey 8 creates its own account with a fictional taxpayer of ``config/demo-taxpayers.toml``
that no other test uses; journeys 9 and 10 use Sophie Gagnon of the demo data, who already has
one.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import (
    CitizenChoices,
    Mailbox,
    Person,
    PesticideApplication,
    accept_conditions,
    activate_citizen_account,
    answer_security_question,
    anti_phishing,
    citizen_enter_password,
    consent_if_asked,
    create_citizen_account,
    demo_taxpayer,
    enter_emailed_code,
    enter_password,
    expect_citizen_sign_in_page,
    fill_pesticide_application,
    labelled_value,
    pesticides_access,
    pesticides_applications,
    pesticides_menu,
    submit_reviewed_application,
)

# Journey 8's taxpayer: free in config/demo-taxpayers.toml, used by no other test.
JOURNEY_8_TAXPAYER = demo_taxpayer("Chloé", "Bélanger", "chloe.belanger@courriel.example")
JOURNEY_8_CHOICES = CitizenChoices(
    image="Un phare",
    phrase="Les outardes reviennent au printemps",
    questions=(
        ("Quel a été votre premier emploi?", "Cueilleuse de fraises"),
        ("Quel est le prénom de votre meilleur ami d'enfance?", "Maxime"),
        ("Dans quelle ville vos parents se sont-ils rencontrés?", "Rimouski"),
        ("Quelle était la marque de votre première voiture?", "Lada"),
    ),
    password="Riviere-Chaudiere-Heron-2026",
)
JOURNEY_8_APPLICATION = PesticideApplication(
    category="Application en milieu forestier, sur mon propre boisé",
    street_address="1200, rang du Bois-Franc",
    municipality="Saint-Ferdinand",
    postal_code="g0n 1n0",
    telephone="418-555-0147",
    birth_date="1984-06-15",
    attestation_number="2468 1357",
)
TRANSMITTED = "Données transmises par clicSÉQUR"
ID_TOKEN = "Jeton d'identité (ID token)"
USERINFO = "Réponse UserInfo"
GENERIC_REFUSAL = (
    "Le code d'utilisateur ou le mot de passe est incorrect, ou le compte ne peut pas être "
    "utilisé. Vérifiez-les et réessayez."
)


def claim_row(page: Page, section: str, name: str) -> Locator:
    """The row of claim ``name`` in a section of the « transmis » page."""
    region = page.get_by_role("region", name=section, exact=True)
    return region.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=name, exact=True)
    )


def expect_citizen_claims_only(page: Page, person: Person) -> None:
    """The « transmis » page: the person's name and email, and nothing of an enterprise."""
    expect(
        page.get_by_role("heading", name="Ce que le fournisseur d'identité nous a transmis")
    ).to_be_visible()
    for section in (ID_TOKEN, USERINFO):
        expect(claim_row(page, section, "name")).to_contain_text(person.name)
        expect(claim_row(page, section, "email")).to_contain_text(person.email)
    expect(
        page.get_by_role("region", name=ID_TOKEN, exact=True).locator("[data-verdict]")
    ).to_have_attribute("data-verdict", "valid")
    for name in ("enterprise", "role", "rights"):
        expect(page.locator(f'[data-claim="{name}"], [data-claim^="{name}."]')).to_have_count(0)
    payloads = page.locator("pre[data-part=payload], pre[data-part=json]")
    for index in range(payloads.count()):
        text = payloads.nth(index).inner_text()
        assert '"enterprise"' not in text, text
        assert '"rights"' not in text, text


def test_8_citizen_creates_an_account_from_the_pesticide_site_and_submits_an_application(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
):
    taxpayer, choices = JOURNEY_8_TAXPAYER, JOURNEY_8_CHOICES
    page = contexts.page()

    # « Accéder au service »: no account yet, « Créer un compte » on the citizen sign-in page.
    pesticides_access(page, demo.pesticides)
    assert page.url.startswith(f"{demo.idp}/citoyens/connexion"), page.url
    create_citizen_account(page, taxpayer, choices)
    expect(page.get_by_role("main")).to_contain_text("c•••@courriel.example")

    # The link of the demo mailbox activates the account and gives the user code.
    user_code = activate_citizen_account(page, mailbox, taxpayer)
    contexts.checkpoint(page, "account-active")
    citizen = Person(user_code, taxpayer.name, taxpayer.email, password=choices.password)

    # « Connexion » comes back to the sign-in of the service the person came from.
    page.get_by_role("main").get_by_role("link", name="Connexion").click()
    expect_citizen_sign_in_page(page)
    expect(page.get_by_label("Code d'utilisateur")).to_have_value(user_code)
    page.get_by_label("Code d'utilisateur").fill(user_code)
    page.get_by_role("button", name="Continuer").click()

    # This browser activated the account: the password is asked under the image and phrase.
    expect(page.get_by_role("heading", name="Inscrivez votre mot de passe")).to_be_visible()
    expect(anti_phishing(page).get_by_role("img", name=choices.image)).to_be_visible()
    expect(anti_phishing(page)).to_contain_text(f"« {choices.phrase} »")
    page.get_by_label("Mot de passe", exact=True).fill(citizen.password)
    page.get_by_role("button", name="Continuer").click()
    enter_emailed_code(page, mailbox, citizen)

    # A new account: the conditions of use of clicSÉQUR – Citoyens, accepted once.
    accept_conditions(page, citizen)

    # First visit to the MELCCFP: the consent page lists what it receives.
    accept = page.get_by_role("button", name="Accepter et continuer")
    expect(accept).to_be_visible()
    shared = page.get_by_role("main").get_by_role("listitem")
    expect(shared).to_contain_text(["Votre nom", "Votre adresse courriel"])
    accept.click()

    # Back on the pesticide site, signed in: « Mes demandes », empty.
    expect(pesticides_applications(page, citizen)).to_be_visible()
    assert page.url.startswith(f"{demo.pesticides}/demandes"), page.url
    expect(page.get_by_text("Vous n'avez soumis aucune demande pour le moment.")).to_be_visible()

    # A new application: the form, the review page, « Soumettre ».
    fill_pesticide_application(page, JOURNEY_8_APPLICATION)
    expect(labelled_value(page, "Demandeur")).to_contain_text(citizen.name)
    expect(labelled_value(page, "Demandeur")).to_contain_text(citizen.email)
    expect(labelled_value(page, "Catégorie de certificat")).to_have_text(
        JOURNEY_8_APPLICATION.category
    )
    expect(labelled_value(page, "Adresse de résidence")).to_contain_text("Saint-Ferdinand G0N 1N0")
    expect(labelled_value(page, "Numéro de téléphone")).to_have_text("418 555-0147")
    expect(labelled_value(page, "Date de naissance")).to_have_text("15 juin 1984")
    expect(labelled_value(page, "Numéro d'attestation")).to_have_text("24681357")
    number = submit_reviewed_application(page)
    expect(page.get_by_role("main")).to_contain_text(f"Il vous écrira à l'adresse {citizen.email}")

    # « Mes demandes » lists it.
    pesticides_menu(page, "Mes demandes").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=number))
    expect(row).to_contain_text(JOURNEY_8_APPLICATION.category)
    expect(row).to_contain_text("Soumise")
    row.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=f"Demande {number}")).to_be_visible()

    # What the provider sent: who she is, signed in with the emailed code; no enterprise.
    pesticides_menu(page, TRANSMITTED).click()
    expect_citizen_claims_only(page, citizen)
    expect(claim_row(page, ID_TOKEN, "acr")).to_contain_text("urn:clicsequr:acr:mfa")


def test_9_citizen_answers_a_security_question_instead_of_the_emailed_code(
    page: Page, demo: DemoServers, sophie: Person
):
    pesticides_access(page, demo.pesticides)
    citizen_enter_password(page, sophie)
    # A browser that never signed in to her account: no image, no phrase.
    expect(anti_phishing(page)).to_have_count(0)
    answer_security_question(page, sophie)
    consent_if_asked(page, pesticides_applications(page, sophie))
    assert page.url.startswith(f"{demo.pesticides}/"), page.url

    # The site was told how she signed in: a password and a security question.
    pesticides_menu(page, TRANSMITTED).click()
    expect_citizen_claims_only(page, sophie)
    expect(claim_row(page, ID_TOKEN, "acr")).to_contain_text("urn:clicsequr:acr:kba")
    expect(claim_row(page, ID_TOKEN, "amr")).to_contain_text("pwd, kba")


def test_10_a_citizen_user_code_is_refused_at_the_enterprise_sign_in(
    page: Page, demo: DemoServers, mailbox: Mailbox, sophie: Person
):
    emails_before = mailbox.count_to(page.context, sophie.email)

    # Her own code and password, at clicSÉQUR – Entreprises: the generic refusal.
    page.goto(f"{demo.idp}/connexion")
    enter_password(page, sophie)
    expect(page.get_by_role("alert")).to_contain_text(GENERIC_REFUSAL)
    expect(page.get_by_label("Code de vérification")).to_have_count(0)
    assert page.url.startswith(f"{demo.idp}/connexion"), page.url
    citizen_refusal = page.get_by_role("alert").inner_text()

    # Word for word what an unknown user code gets: nothing tells that the account exists.
    unknown = Person("ZQXW-9183", "Personne", "personne@courriel.example")
    enter_password(page, unknown)
    expect(page.get_by_role("alert")).to_contain_text(GENERIC_REFUSAL)
    assert page.get_by_role("alert").inner_text() == citizen_refusal

    # No code was sent to her; the page points individuals to their own portal.
    assert mailbox.count_to(page.context, sophie.email) == emails_before
    page.get_by_role("main").get_by_role("link", name="clicSÉQUR – Citoyens").click()
    expect_citizen_sign_in_page(page)
