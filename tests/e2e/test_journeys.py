"""The demo's journeys in a real browser: the provider, IQEA (OpenID Connect) and the AMF (SAML).

Each journey is a test with its own browser contexts (fresh cookies, one per person). They share
the servers of the session: the user and proxy of journey 1 serve journeys 2 to 4 (made again
when journey 1 did not run first), journeys that change something irreversibly make their own
(journey 6 cancels its own proxy), and the reports use distinct years.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from demo_rp.iqea.reports import offered_years
from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import (
    AMF_PAYMENTS_LABEL,
    IQEA_OPERATOR_LABEL,
    Mailbox,
    Person,
    accept_conditions,
    amf_dashboard,
    assign_proxy,
    cancel_proxy,
    change_temporary_password,
    choose_enterprise,
    consent_if_asked,
    console_signed_in,
    create_internal_proxy,
    create_user_file,
    enter_emailed_code,
    enter_password,
    iqea_dashboard,
    iqea_sign_in,
    iqea_signed_out,
    labelled_value,
)

ACIERIE = "Aciérie Saint-Laurent inc."
ACIERIE_NEQ = "1143256789"
CIMENTERIE = "Cimenterie Outaouais inc."
CIMENTERIE_NEQ = "1180000004"
CONSEILS_VERTS = "Conseils Verts Québec inc."
CONSEILS_VERTS_NEQ = "1170000002"
AMF_PAYMENTS = "amf.payments"
AMF_BLOCK_COUNT = 8
# Reports: journey 2 files the most recent year offered, journey 7 the one before.
YEARS = offered_years(datetime.now(UTC))
# People made by the journeys (first name, last name); e-mail addresses at acierie.example.
JOURNEY_1_USER = ("Léa", "Fortin")
SPARE_USERS = [("Émile", "Gagné"), ("Rosalie", "Bélanger"), ("Mathis", "Côté")]
JOURNEY_6_USER = ("Olivier", "Lapointe")


def enrol(
    page: Page, demo: DemoServers, mailbox: Mailbox, esm: Person, first: str, last: str
) -> Person:
    """Journey 1's administration: a user file, an internal proxy (IQEA operator, AMF payments)
    and its assignment, by the electronic services manager signed in at the provider."""
    if not page.url.startswith(demo.idp):
        console_signed_in(page, demo.idp, mailbox, esm)
    email = f"{first}.{last}@acierie.example".lower()
    email = email.translate(str.maketrans("éèêëôç", "eeeeoc"))
    user = create_user_file(page, mailbox, esm, first, last, email)
    user.proxy_url = create_internal_proxy(
        page, mailbox, esm, f"Déclaration IQEA et paiements AMF – {first} {last}"
    )
    assign_proxy(page, mailbox, esm, user.proxy_url, user)
    return user


def journey_1_user(
    shared: dict[str, Person],
    contexts: Contexts,
    demo: DemoServers,
    mailbox: Mailbox,
    esm: Person,
    *,
    first_sign_in: bool = False,
) -> Person:
    """The user journey 1 made; when it has not run yet, or when the journey needs a first
    sign-in that has already happened, another user made by the same steps."""
    user = shared.get("journey 1")
    if user is not None and (user.temporary or not first_sign_in):
        return user
    first, last = SPARE_USERS.pop(0)
    made = enrol(contexts.page(), demo, mailbox, esm, first, last)
    shared.setdefault("journey 1", made)
    return made


def test_1_esm_creates_a_user_and_an_internal_proxy_and_assigns_it(
    page: Page, demo: DemoServers, mailbox: Mailbox, esm: Person, shared: dict[str, Person]
):
    # Sign-in with the emailed code, read in the demo mailbox in another tab.
    page.goto(f"{demo.idp}/connexion")
    enter_password(page, esm)
    expect(page.get_by_text("Un code à 6 chiffres a été transmis")).to_be_visible()
    enter_emailed_code(page, mailbox, esm)
    expect(page.get_by_role("heading", name="Bienvenue, Marie Tremblay")).to_be_visible()

    # « Utilisateurs »: a new user file; its acknowledgement shows the code and the password.
    first, last = JOURNEY_1_USER
    user = create_user_file(page, mailbox, esm, first, last, "lea.fortin@acierie.example")
    expect(
        page.get_by_text("C'est la seule fois que le mot de passe temporaire est affiché.")
    ).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="Utilisateurs").click()
    row = page.get_by_role("row").filter(has_text=user.user_code)
    expect(row).to_contain_text("Léa Fortin")
    expect(row).to_contain_text("Utilisateur")

    # « Procurations »: internal, IQEA operator and « Effectuer des paiements » at the AMF.
    user.proxy_url = create_internal_proxy(
        page, mailbox, esm, "Déclaration IQEA et paiements AMF – Léa Fortin"
    )
    rights = page.locator("main")
    expect(rights).to_contain_text(IQEA_OPERATOR_LABEL)
    expect(rights).to_contain_text(AMF_PAYMENTS_LABEL)
    expect(page.get_by_text("Personne ne détient cette procuration.")).to_be_visible()

    # Assigned to the new user: the proxy's page lists the holder.
    assign_proxy(page, mailbox, esm, user.proxy_url, user)
    page.goto(user.proxy_url)
    expect(page.locator("main")).to_contain_text(user.user_code)
    shared["journey 1"] = user


def test_2_new_user_signs_in_the_first_time_and_submits_the_iqea_report(
    contexts: Contexts,
    demo: DemoServers,
    mailbox: Mailbox,
    esm: Person,
    shared: dict[str, Person],
):
    user = journey_1_user(shared, contexts, demo, mailbox, esm, first_sign_in=True)
    page = contexts.page()
    page.goto(f"{demo.iqea}/")
    page.get_by_role("link", name="Se connecter avec clicSÉQUR").click()
    enter_password(page, user)
    enter_emailed_code(page, mailbox, user)
    # The temporary password must be changed before going further, then the conditions of use
    # accepted (a new account).
    assert user.temporary
    change_temporary_password(page, user)
    assert user.conditions_pending
    accept_conditions(page, user)
    consent_if_asked(page, iqea_dashboard(page, user))

    # IQEA: the enterprise, the internal proxy and the operator right only.
    assert page.url.startswith(demo.iqea)
    expect(labelled_value(page, "Entreprise")).to_have_text(ACIERIE)
    expect(labelled_value(page, "Numéro d'entreprise du Québec (NEQ)")).to_have_text(ACIERIE_NEQ)
    expect(labelled_value(page, "Origine des droits")).to_contain_text("Procuration interne")
    rights = page.get_by_role("region", name="Vos droits à l'IQEA").get_by_role("listitem")
    expect(rights).to_have_count(1)
    expect(rights).to_contain_text(IQEA_OPERATOR_LABEL)

    # The annual report: prepared, filled in, submitted.
    year = str(YEARS[0])
    page.get_by_role("link", name="Déclarer les émissions atmosphériques").click()
    page.get_by_label("Année visée par la déclaration").select_option(year)
    page.get_by_role("button", name="Préparer la déclaration").click()
    expect(page.get_by_role("heading", name=f"Déclaration {year}")).to_be_visible()
    page.get_by_label("Nom de l'établissement principal").fill("Usine de Contrecoeur")
    page.get_by_label("Nombre d'établissements").fill("2")
    page.get_by_label("Dioxyde de carbone (CO₂)").fill("1250,5")
    page.get_by_label("Oxydes d'azote (NOx)").fill("12,25")
    page.get_by_label("Particules totales").fill("3")
    page.get_by_role("button", name="Transmettre la déclaration").click()
    expect(page.get_by_text("La déclaration est transmise au Ministère.")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=year))
    expect(row).to_contain_text("Usine de Contrecoeur")
    expect(row).to_contain_text("Transmise")
    page.get_by_role("link", name=f"Consulter {year}").click()
    expect(page.locator("main")).to_contain_text(f"Transmise par {user.name}")


def test_3_single_sign_on_at_the_amf_opens_only_the_blocks_of_the_proxy(
    contexts: Contexts,
    demo: DemoServers,
    mailbox: Mailbox,
    esm: Person,
    shared: dict[str, Person],
):
    user = journey_1_user(shared, contexts, demo, mailbox, esm)
    page = contexts.page()
    iqea_sign_in(page, demo.iqea, mailbox, user)

    # Still signed in at the provider: the AMF receives the person without any password.
    visited: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: visited.append(frame.url) if frame == page.main_frame else None,
    )
    page.goto(f"{demo.amf}/")
    page.get_by_role("link", name="Se connecter avec clicSÉQUR").click()
    consent_if_asked(page, amf_dashboard(page))
    asked = [url for url in visited if url.startswith(f"{demo.idp}/connexion")]
    assert not asked, f"the provider asked to sign in again: {asked}"
    assert any(url.startswith(f"{demo.idp}/saml/") for url in visited), visited
    person = page.locator("[data-section=person]")
    expect(person.locator("[data-field=name]")).to_have_text(user.name)
    expect(person.locator("[data-field=rights-source]")).to_contain_text("Procuration interne")
    enterprise = page.locator("[data-section=enterprise]")
    expect(enterprise.locator("[data-field=enterprise-name]")).to_have_text(ACIERIE)
    expect(enterprise.locator("[data-field=enterprise-neq]")).to_have_text(ACIERIE_NEQ)

    # Only the block of the AMF right the proxy gives is open.
    blocks = page.locator("li.block-card")
    expect(blocks).to_have_count(AMF_BLOCK_COUNT)
    enabled = page.locator("li.block-card[data-state=enabled]")
    expect(enabled).to_have_count(1)
    expect(enabled).to_have_attribute("data-right", AMF_PAYMENTS)
    expect(enabled.get_by_role("link", name=AMF_PAYMENTS_LABEL)).to_be_visible()
    expect(page.locator("li.block-card[data-state=disabled]")).to_have_count(AMF_BLOCK_COUNT - 1)
    expect(
        page.get_by_text(f"Vous avez accès à 1 des {AMF_BLOCK_COUNT} blocs fonctionnels")
    ).to_be_visible()
    enabled.get_by_role("link", name=AMF_PAYMENTS_LABEL).click()
    expect(page.get_by_role("heading", name=AMF_PAYMENTS_LABEL)).to_be_visible()
    refused = page.goto(f"{demo.amf}/blocs/suivi")
    assert refused is not None
    assert refused.status == 403


def test_4_signing_out_of_iqea_signs_out_of_the_provider_and_the_amf(
    contexts: Contexts,
    demo: DemoServers,
    mailbox: Mailbox,
    esm: Person,
    shared: dict[str, Person],
):
    user = journey_1_user(shared, contexts, demo, mailbox, esm)
    page = contexts.page()
    iqea_sign_in(page, demo.iqea, mailbox, user)
    page.goto(f"{demo.amf}/")
    page.get_by_role("link", name="Se connecter avec clicSÉQUR").click()
    consent_if_asked(page, amf_dashboard(page))

    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{demo.iqea}/")
    page.get_by_role("button", name="Se déconnecter").click()
    problems = []
    try:
        expect(page.get_by_text("Vous êtes déconnecté de l'IQEA et de clicSÉQUR.")).to_be_visible()
    except AssertionError:
        contexts.checkpoint(page, "iqea-after-sign-out")
        problems.append(
            f"IQEA: no « Vous êtes déconnecté » page after « Se déconnecter » (still at {page.url})"
            + (f"; the browser blocked: {blocked}" if blocked else "")
        )

    # Each site, visited again: nobody signed in.
    page.goto(f"{demo.amf}/")
    if page.get_by_role("button", name="Se déconnecter").count():
        contexts.checkpoint(page, "amf-after-sign-out")
        problems.append(f"AMF: still signed in ({page.url} shows « Se déconnecter »)")
    page.goto(f"{demo.iqea}/")
    if not iqea_signed_out(page).count():
        contexts.checkpoint(page, "iqea-after-sign-out")
        problems.append(f"IQEA: still signed in at {page.url}")
    page.goto(f"{demo.idp}/")
    if not page.url.startswith(f"{demo.idp}/connexion"):
        contexts.checkpoint(page, "provider-after-sign-out")
        problems.append(f"provider: still signed in ({page.url} instead of the sign-in page)")
    assert not problems, "\n".join(problems)
    expect(
        page.get_by_role("heading", name="Se connecter à clicSÉQUR – Entreprises")
    ).to_be_visible()


def test_5_consultant_chooses_an_enterprise_and_iqea_shows_the_agent_firm(
    page: Page, demo: DemoServers, mailbox: Mailbox, consultant: Person
):
    page.goto(f"{demo.iqea}/")
    page.get_by_role("link", name="Se connecter avec clicSÉQUR").click()
    enter_password(page, consultant)
    enter_emailed_code(page, mailbox, consultant)
    # Two external proxies: the provider asks which enterprise the consultant acts for.
    expect(page.get_by_role("button", name=f"Agir pour {ACIERIE}")).to_be_visible()
    expect(page.get_by_role("button", name=f"Agir pour {CIMENTERIE}")).to_be_visible()
    choose_enterprise(page, CIMENTERIE)
    consent_if_asked(page, iqea_dashboard(page, consultant))

    expect(labelled_value(page, "Entreprise")).to_have_text(CIMENTERIE)
    expect(labelled_value(page, "Numéro d'entreprise du Québec (NEQ)")).to_have_text(CIMENTERIE_NEQ)
    expect(labelled_value(page, "Mandataire")).to_have_text(
        f"pour le compte de {CONSEILS_VERTS} (NEQ {CONSEILS_VERTS_NEQ})"
    )
    expect(labelled_value(page, "Origine des droits")).to_contain_text("Procuration externe")
    expect(page.locator(".session-bar")).to_contain_text(
        f"{CIMENTERIE} (NEQ {CIMENTERIE_NEQ}) pour le compte de {CONSEILS_VERTS}"
    )
    expect(page.get_by_role("link", name="Vérifier et approuver les déclarations")).to_be_visible()
    expect(page.get_by_role("link", name="Déclarer les émissions atmosphériques")).to_have_count(0)


def test_6_cancelling_the_proxy_ends_the_users_access_at_iqea(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox, esm: Person
):
    # An ESM makes a user and a proxy of its own (journey 1's steps), the user opens IQEA.
    admin = contexts.page()
    user = enrol(admin, demo, mailbox, esm, *JOURNEY_6_USER)
    assert user.proxy_url is not None
    page = contexts.page()
    iqea_sign_in(page, demo.iqea, mailbox, user)
    expect(page.get_by_role("link", name="Déclarer les émissions atmosphériques")).to_be_visible()

    # The ESM cancels the proxy; the provider tells IQEA (back-channel logout).
    cancel_proxy(admin, user.proxy_url)

    # The user's next request: signed out, or told they have no rights, never the reports.
    page.get_by_role("link", name="Déclarations", exact=True).click()
    no_rights = page.get_by_role("heading", name="Vous ne détenez aucun droit d'accès à l'IQEA")
    expect(iqea_signed_out(page).or_(no_rights).first).to_be_visible()
    expect(page.get_by_role("heading", name="Déclarations annuelles")).to_have_count(0)
    expect(page.get_by_role("button", name="Préparer la déclaration")).to_have_count(0)
    page.goto(f"{demo.iqea}/declarations")
    expect(page.get_by_role("button", name="Préparer la déclaration")).to_have_count(0)


def test_7_verifier_approves_a_report_through_the_external_proxy(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox, jean_roy: Person, consultant: Person
):
    # Jean Roy (Aciérie's seeded internal proxy) submits a report.
    year = str(YEARS[1])
    operator = contexts.page()
    iqea_sign_in(operator, demo.iqea, mailbox, jean_roy)
    operator.get_by_role("link", name="Déclarer les émissions atmosphériques").click()
    operator.get_by_label("Année visée par la déclaration").select_option(year)
    operator.get_by_role("button", name="Préparer la déclaration").click()
    operator.get_by_label("Nom de l'établissement principal").fill("Aciérie de Bécancour")
    operator.get_by_label("Nombre d'établissements").fill("1")
    operator.get_by_label("Dioxyde de carbone (CO₂)").fill("980")
    operator.get_by_label("Oxydes d'azote (NOx)").fill("7,5")
    operator.get_by_label("Particules totales").fill("1,125")
    operator.get_by_role("button", name="Transmettre la déclaration").click()
    expect(operator.get_by_text("La déclaration est transmise au Ministère.")).to_be_visible()

    # The consultant, acting for Aciérie through its external verifier proxy, approves it.
    page = contexts.page()
    iqea_sign_in(page, demo.iqea, mailbox, consultant, enterprise=ACIERIE)
    expect(labelled_value(page, "Entreprise")).to_have_text(ACIERIE)
    page.get_by_role("link", name="Vérifier et approuver les déclarations").click()
    expect(page.get_by_role("heading", name="Vérification des déclarations")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        f"Vous agissez comme vérificateur pour le compte de {CONSEILS_VERTS}"
    )
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=year))
    expect(row).to_contain_text("Transmise")
    row.get_by_role("link", name=re.compile("Examiner et approuver")).click()
    expect(page.get_by_role("heading", name=f"Déclaration {year}")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        f"Vous approuvez à titre de vérificateur : {consultant.name}, pour le compte de "
        f"{CONSEILS_VERTS}"
    )
    page.get_by_role("button", name="Approuver la déclaration").click()
    expect(page.get_by_text("La déclaration est approuvée.")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        f"Approuvée par {consultant.name} ({CONSEILS_VERTS})"
    )

    # Jean Roy sees it approved.
    operator.goto(f"{demo.iqea}/declarations")
    operator_row = operator.get_by_role("row").filter(
        has=operator.get_by_role("rowheader", name=year)
    )
    expect(operator_row).to_contain_text("Approuvée")
