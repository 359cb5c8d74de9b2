"""An enterprise from nothing to IQEA, in a real browser, through the pages as people see them.

Transports Rivière-du-Loup inc., a fictional enterprise of ``config/demo-enterprises.toml`` that
no other test uses, registers itself at « Inscrire une entreprise »; the provider operator of
the demo data (Hélène Morin) activates it, reads the temporary password on the answer page; the
authorized representative receives the user code by email, signs in (new password, conditions
of use) and designates an electronic services manager; the manager signs in the same way,
registers the enterprise with the MELCCFP, whose operator (Nadia Bouchard) activates it; the
manager then reaches IQEA as that enterprise. axe-core checks every page of the provider on
the way, and IQEA's dashboard (each context is made with ``bypass_csp`` for its script).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.accessibility import expect_no_violations
from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import (
    Mailbox,
    Person,
    accept_conditions,
    change_temporary_password,
    demo_person,
    enter_emailed_code,
    enter_password,
    expect_conditions_page,
    iqea_dashboard,
    labelled_value,
    submit_sensitive,
    summary_value,
)

ENTERPRISE = "Transports Rivière-du-Loup inc."
NEQ = "1190000007"
LEGAL_FORM = "Société par actions (compagnie, « inc. »)"
REPRESENTATIVE = ("Geneviève", "Ouellet", "genevieve.ouellet@transports-rdl.example")
ESM = ("Samuel", "Pelletier", "samuel.pelletier@transports-rdl.example")
USER_CODE = re.compile(r"[A-Z]{4}-\d{4}")


def checked(page: Page, where: str) -> None:
    expect_no_violations(page, where)


def heading(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=name).click()


def first_sign_in(page: Page, idp: str, mailbox: Mailbox, person: Person) -> None:
    """The sign-in page, the emailed code, the forced new password, the conditions of use:
    each page checked, up to the home page."""
    page.goto(f"{idp}/connexion")
    checked(page, "the sign-in page")
    enter_password(page, person)
    expect(page.get_by_label("Code de vérification")).to_be_visible()
    checked(page, "the code page")
    enter_emailed_code(page, mailbox, person)
    heading(page, "Choisissez un nouveau mot de passe")
    checked(page, "the forced password change")
    change_temporary_password(page, person)
    expect_conditions_page(page)
    checked(page, "the conditions of use")
    accept_conditions(page, person)
    heading(page, f"Bienvenue, {person.name}")
    checked(page, "the home page after the first sign-in")


def operator_signed_in(page: Page, idp: str, mailbox: Mailbox, operator: Person) -> None:
    page.goto(f"{idp}/connexion")
    enter_password(page, operator)
    enter_emailed_code(page, mailbox, operator)
    heading(page, f"Bienvenue, {operator.name}")
    checked(page, f"the home page of {operator.name}")


def register_the_enterprise(page: Page, idp: str, mailbox: Mailbox) -> None:
    """« Inscrire une entreprise »: the three steps, the conditions of use, the confirmation."""
    first, last, email = REPRESENTATIVE
    page.goto(f"{idp}/inscription-entreprise")
    heading(page, "Inscrire une entreprise")
    expect(page.get_by_text("Étape 1 sur 3")).to_be_visible()
    checked(page, "registration step 1 (the enterprise)")
    page.get_by_label("Numéro d'entreprise du Québec (NEQ)").fill(NEQ)
    page.get_by_label("Nom légal").fill(ENTERPRISE)
    page.get_by_label("Forme juridique").select_option(label=LEGAL_FORM)
    page.get_by_role("button", name="Continuer").click()

    expect(page.get_by_text("Étape 2 sur 3")).to_be_visible()
    heading(page, "Le représentant autorisé")
    checked(page, "registration step 2 (the representative)")
    page.get_by_label("Prénom").fill(first)
    page.get_by_label("Nom de famille").fill(last)
    page.get_by_label("Fonction dans l'entreprise").fill("Présidente")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Téléphone").fill("418 555-0142")
    page.get_by_role("button", name="Continuer").click()

    expect(page.get_by_text("Étape 3 sur 3")).to_be_visible()
    heading(page, "Vérifier et transmettre")
    main = page.get_by_role("main")
    expect(main).to_contain_text(NEQ)
    expect(main).to_contain_text(ENTERPRISE)
    expect(main).to_contain_text(f"{first} {last}")
    checked(page, "registration step 3 (review and submit)")
    # Submitting without the conditions: the error, then the conditions read and accepted.
    page.get_by_role("button", name="Transmettre la demande").click()
    expect(
        page.get_by_text("Cochez la case pour accepter les conditions d'utilisation.").first
    ).to_be_visible()
    checked(page, "registration step 3 with an error")
    page.get_by_role("link", name="Lire les conditions d'utilisation").click()
    heading(page, "Conditions d'utilisation de clicSÉQUR")
    checked(page, "the conditions of use of the registration")
    page.get_by_role("link", name="Retour à la demande").click()
    page.get_by_label("Je suis autorisé à agir pour cette entreprise").check()
    page.get_by_role("button", name="Transmettre la demande").click()

    heading(page, "Demande reçue")
    expect(page.get_by_role("main")).to_contain_text(f"{ENTERPRISE} (NEQ {NEQ})")
    checked(page, "the application received page")
    body = mailbox.newest_saying(page.context, email, NEQ)
    assert ENTERPRISE in body, body


def activate_the_enterprise(page: Page, idp: str, mailbox: Mailbox) -> tuple[str, str]:
    """The provider operator: « Demandes à traiter », the enterprise, « Activer ». Returns the
    user code and the temporary password shown on the answer page."""
    operator = demo_person("EXPL-2345")
    operator_signed_in(page, idp, mailbox, operator)
    menu(page, "Demandes à traiter")
    heading(page, "Demandes à traiter")
    checked(page, "the applications to decide")
    page.get_by_role("row").filter(has_text=NEQ).get_by_role("link", name=ENTERPRISE).click()
    heading(page, ENTERPRISE)
    checked(page, "the enterprise's page in the console")
    page.get_by_role("main").get_by_role("link", name="Activer", exact=True).click()
    heading(page, f"Activer – {ENTERPRISE}")
    checked(page, "the activation page")
    submit_sensitive(
        page, mailbox, operator, "Activer", page.get_by_role("heading", name="Entreprise activée")
    )
    checked(page, "the activation acknowledgement")
    expect(
        page.get_by_text("C'est la seule fois que le mot de passe temporaire est affiché.")
    ).to_be_visible()
    temporary = page.get_by_test_id("temporary-password").inner_text().strip()
    user_code = page.get_by_role("main").locator("dd.mono").filter(has_text=USER_CODE)
    expect(user_code).to_have_count(1)
    return user_code.inner_text().strip(), temporary


def designate_an_esm(page: Page, mailbox: Mailbox, representative: Person) -> Person:
    """« Utilisateurs » → « Créer un dossier d'utilisateur »: the only role the representative
    may give is electronic services manager. Returns the person, with the acknowledgement's
    user code and temporary password."""
    first, last, email = ESM
    menu(page, "Utilisateurs")
    heading(page, "Utilisateurs")
    checked(page, "the user files of the new enterprise")
    page.get_by_role("link", name="Créer un dossier d'utilisateur").click()
    heading(page, "Créer un dossier d'utilisateur")
    expect(page.get_by_text("Responsable des services électroniques", exact=True)).to_be_visible()
    checked(page, "the representative's new user file")
    page.get_by_label("Prénom").fill(first)
    page.get_by_label("Nom de famille").fill(last)
    page.get_by_label("Courriel").fill(email)
    page.get_by_role("button", name="Continuer").click()
    heading(page, "Vérifiez les renseignements")
    checked(page, "the review of the new user file")
    submit_sensitive(
        page,
        mailbox,
        representative,
        "Transmettre",
        page.get_by_role("heading", name="Accusé de réception d'un nouveau dossier d'utilisateur"),
    )
    checked(page, "the acknowledgement of the new user file")
    user_code = summary_value(page, "Code d'utilisateur")
    assert USER_CODE.fullmatch(user_code), user_code
    esm = Person(
        user_code,
        f"{first} {last}",
        email,
        password=summary_value(page, "Mot de passe temporaire"),
        temporary=True,
        conditions_pending=True,
    )
    body = mailbox.newest_saying(page.context, email, user_code)
    assert f"{representative.name}, représentant autorisé de {ENTERPRISE}" in body, body
    return esm


def register_with_the_melccfp(page: Page) -> None:
    """« Services en ligne » → « S'inscrire » for the MELCCFP: its one question, then sent."""
    menu(page, "Services en ligne")
    heading(page, "Services en ligne des ministères")
    checked(page, "the online services of the new enterprise")
    page.get_by_role("link", name="S'inscrire – MELCCFP").click()
    heading(page, "Inscription – MELCCFP")
    checked(page, "the MELCCFP registration form")
    page.get_by_label("Nombre d'établissements de l'entreprise au Québec").fill("3")
    page.get_by_role("button", name="Transmettre la demande").click()
    heading(page, "Services en ligne des ministères")
    melccfp = page.get_by_role("row").filter(has_text="MELCCFP")
    expect(melccfp).to_contain_text("En traitement")
    checked(page, "the online services with the request in process")


def melccfp_activates(page: Page, idp: str, mailbox: Mailbox) -> None:
    """Nadia Bouchard: « Inscriptions à traiter », the enterprise's request, « Activer »."""
    operator_signed_in(page, idp, mailbox, demo_person("MENV-2345"))
    menu(page, "Inscriptions à traiter")
    heading(page, "Inscriptions à traiter")
    checked(page, "the MELCCFP registrations to decide")
    request = page.get_by_role("article", name=ENTERPRISE)
    expect(request).to_contain_text(NEQ)
    expect(request).to_contain_text("3")
    request.get_by_label("Activer l'inscription").check()
    request.get_by_role("button", name="Enregistrer la décision").click()
    active = page.get_by_role("table", name="Entreprises inscrites auprès du ministère, par nom")
    expect(active.get_by_role("row").filter(has_text=NEQ)).to_contain_text(ENTERPRISE)
    checked(page, "the MELCCFP registrations after the decision")


def test_18_a_new_enterprise_registers_is_activated_and_its_esm_reaches_iqea(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
) -> None:
    applicant = contexts.new(bypass_csp=True).new_page()
    register_the_enterprise(applicant, demo.idp, mailbox)

    console = contexts.new(bypass_csp=True).new_page()
    shown_code, temporary = activate_the_enterprise(console, demo.idp, mailbox)

    # The user code by email; the temporary password as the operator read it out.
    first, last, email = REPRESENTATIVE
    body = mailbox.newest_saying(console.context, email, "Votre code d'utilisateur")
    emailed = re.search(r"Votre code d'utilisateur : ([A-Z]{4}-\d{4})", body)
    assert emailed is not None, body
    assert emailed.group(1) == shown_code
    representative = Person(emailed.group(1), f"{first} {last}", email, temporary, temporary=True)
    rep_page = contexts.new(bypass_csp=True).new_page()
    first_sign_in(rep_page, demo.idp, mailbox, representative)
    esm = designate_an_esm(rep_page, mailbox, representative)

    esm_page = contexts.new(bypass_csp=True).new_page()
    first_sign_in(esm_page, demo.idp, mailbox, esm)
    register_with_the_melccfp(esm_page)

    ministry = contexts.new(bypass_csp=True).new_page()
    melccfp_activates(ministry, demo.idp, mailbox)

    esm_page.reload()
    expect(esm_page.get_by_role("row").filter(has_text="MELCCFP")).to_contain_text("Actif")
    checked(esm_page, "the online services with the registration active")

    # IQEA, signed in already at the provider: the consent page, then the dashboard.
    esm_page.goto(f"{demo.iqea}/")
    esm_page.get_by_role("link", name="Se connecter avec clicSÉQUR").click()
    dashboard = iqea_dashboard(esm_page, esm)
    accept = esm_page.get_by_role("button", name="Accepter et continuer")
    expect(accept.or_(dashboard).first).to_be_visible()
    if accept.is_visible():
        checked(esm_page, "the consent page for IQEA")
        accept.click()
    expect(dashboard).to_be_visible()
    assert esm_page.url.startswith(demo.iqea)
    expect(labelled_value(esm_page, "Entreprise")).to_have_text(ENTERPRISE)
    expect(labelled_value(esm_page, "Numéro d'entreprise du Québec (NEQ)")).to_have_text(NEQ)
    expect(labelled_value(esm_page, "Origine des droits")).to_contain_text(
        "Vous êtes le RSE de l'entreprise"
    )
    checked(esm_page, "the IQEA dashboard")
