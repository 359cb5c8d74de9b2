"""Passkeys in a real browser (issue 18): the WebAuthn ceremonies end to end, on both portals,
with Chromium's virtual authenticator (``steps.virtual_authenticator``) in place of a phone.

Like every journey's, the provider and the sites are named ``localhost`` (WebAuthn refuses an
IP address as relying party id). This file starts its own, though: there IQEA's registration
requires the phishing-resistant sign-in (``minimum_acr = "urn:clicsequr:acr:phr"``), the site
that sends a session made with the emailed code to the passkey step, which the other journeys
do not expect. The pesticide site asks for nothing more than usual.

Each journey uses its own person of the demo data, so that any one can run alone. Like every
file of this folder, it runs in the ``e2e`` group of pytest-xdist (``conftest.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.accessibility import expect_no_violations
from tests.e2e.conftest import Contexts
from tests.e2e.servers import ARTIFACTS, DemoServers, start_demo_servers
from tests.e2e.steps import (
    Mailbox,
    Person,
    VirtualAuthenticator,
    add_passkey,
    answer_security_question,
    citizen_enter_password,
    consent_if_asked,
    console_signed_in,
    demo_person,
    enter_password,
    expect_citizen_sign_in_page,
    iqea_dashboard,
    pesticides_access,
    pesticides_applications,
    pesticides_menu,
    sign_in_with_passkey_only,
    use_passkey_button,
    virtual_authenticator,
)
from tests.e2e.test_citizen_journeys import ID_TOKEN, TRANSMITTED, claim_row

PHISHING_RESISTANT = "urn:clicsequr:acr:phr"
CONFIRM_PATH = "/connexion/cle-d-acces/confirmer"
ENTERPRISE_SIGN_IN = "Se connecter à clicSÉQUR – Entreprises"
NO_ANSWER = "La clé d'accès n'a pas répondu"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServers]:
    """The provider and the sites of the other journeys, but IQEA requires a passkey."""
    servers = start_demo_servers(
        tmp_path_factory.mktemp("e2e-passkeys"),
        ARTIFACTS / "passkeys",
        registration_lines={"iqea": f'minimum_acr = "{PHISHING_RESISTANT}"'},
    )
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="module")
def mailbox(demo: DemoServers) -> Mailbox:
    return Mailbox(demo.mailbox)


def tab_with_authenticator(contexts: Contexts) -> tuple[Page, VirtualAuthenticator]:
    """A new browser, its tab holding a virtual authenticator; axe-core checks its pages (hence
    ``bypass_csp``)."""
    page = contexts.new(bypass_csp=True).new_page()
    return page, virtual_authenticator(page)


def to_iqea_sign_in(page: Page, demo: DemoServers) -> None:
    """IQEA's « Se connecter avec clicSÉQUR »: on to the provider."""
    page.goto(f"{demo.iqea}/")
    page.get_by_role("link", name="Se connecter avec clicSÉQUR").click()


def claim_value(page: Page, name: str) -> Locator:
    """The value of claim ``name`` of the ID token, on a site's « transmis » page."""
    return claim_row(page, ID_TOKEN, name).get_by_role("cell").first


def expect_passkey_claims(page: Page, amr: str) -> None:
    """The « transmis » page of a site: the ID token says a passkey signed in."""
    expect(
        page.get_by_role("heading", name="Ce que le fournisseur d'identité nous a transmis")
    ).to_be_visible()
    expect(claim_value(page, "acr")).to_have_text(PHISHING_RESISTANT)
    expect(claim_value(page, "amr")).to_have_text(amr)
    expect(
        page.get_by_role("region", name=ID_TOKEN, exact=True).locator("[data-verdict]")
    ).to_have_attribute("data-verdict", "valid")


def test_1_an_enterprise_user_adds_a_passkey_then_signs_in_with_it_at_iqea(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
):
    jean_roy = demo_person("USRA-2346")
    page, authenticator = tab_with_authenticator(contexts)

    # Signed in at the provider with the password and the emailed code: « Mes clés d'accès ».
    console_signed_in(page, demo.idp, mailbox, jean_roy)
    add_passkey(page, mailbox, jean_roy, "Ordinateur du bureau")
    expect_no_violations(page, "« Mes clés d'accès » with one passkey")
    [credential] = authenticator.credentials()
    # Bound to the provider's host, and kept by the key (it names the account by itself).
    assert (credential["rpId"], credential["isResidentCredential"]) == ("localhost", True)
    registered_count = credential["signCount"]
    # The owner is told, whoever added it.
    notice = mailbox.newest_saying(page.context, jean_roy.email, "Ordinateur du bureau")
    assert "/compte/cles-d-acces" in notice, notice

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)

    # IQEA: the password, then the passkey offered first on the code page.
    to_iqea_sign_in(page, demo)
    enter_password(page, jean_roy)
    expect(use_passkey_button(page)).to_be_visible()
    expect(page.get_by_label("Code de vérification")).to_be_visible()
    expect_no_violations(page, "the code page offering the passkey")
    use_passkey_button(page).click()
    consent_if_asked(page, iqea_dashboard(page, jean_roy))
    assert page.url.startswith(demo.iqea), page.url

    # The ID token IQEA received: phishing-resistant, the password and the passkey.
    pesticides_menu(page, TRANSMITTED).click()
    expect_passkey_claims(page, "pwd, hwk, user, mfa")

    # Signed out of both; then the passkey alone, no user code and no password.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté de l'IQEA et de clicSÉQUR.")).to_be_visible()
    page.get_by_role("link", name="Se connecter avec clicSÉQUR").first.click()
    expect(page.get_by_role("heading", name=ENTERPRISE_SIGN_IN)).to_be_visible()
    expect(page.get_by_role("heading", name="Se connecter avec une clé d'accès")).to_be_visible()
    expect_no_violations(page, "the enterprise sign-in page with the passkey section")
    sign_in_with_passkey_only(page)
    expect(iqea_dashboard(page, jean_roy)).to_be_visible()
    pesticides_menu(page, TRANSMITTED).click()
    expect_passkey_claims(page, "hwk, user, mfa")
    # The same key both times: its signature counter went up at each use.
    [used] = authenticator.credentials()
    assert used["credentialId"] == credential["credentialId"]
    assert used["signCount"] == registered_count + 2, used["signCount"]


def test_2_a_site_requiring_a_passkey_sends_a_code_only_session_to_the_passkey_step(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
):
    # Marie Tremblay, electronic services manager of Aciérie Saint-Laurent inc.: signed in at
    # the provider with the emailed code, no passkey yet.
    marie = demo_person("ESMA-2345")
    page, authenticator = tab_with_authenticator(contexts)
    console_signed_in(page, demo.idp, mailbox, marie)

    # IQEA requires a passkey: the same session goes to the passkey step, which has none.
    to_iqea_sign_in(page, demo)
    heading = page.get_by_role("heading", name="Confirmez avec votre clé d'accès")
    expect(heading).to_be_visible()
    assert page.url.startswith(f"{demo.idp}{CONFIRM_PATH}"), page.url
    expect(page.get_by_text("Vous n'avez pas encore de clé d'accès.")).to_be_visible()
    expect_no_violations(page, "the passkey step, no passkey yet")
    page.get_by_role("main").get_by_role("link", name="Ajouter une clé d'accès").click()
    expect(
        page.get_by_text("Une fois la clé d'accès ajoutée, vous retournez au service")
    ).to_be_visible()
    add_passkey(page, mailbox, marie, "Téléphone", listed=False)

    # Back to IQEA's request: the passkey step again, her key now offered. A key that cannot
    # verify the person (no fingerprint, no PIN) does not answer: the page says so.
    expect(heading).to_be_visible()
    assert page.url.startswith(f"{demo.idp}{CONFIRM_PATH}"), page.url
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_count(0)
    authenticator.set_user_verified(False)
    use_passkey_button(page).click()
    expect(page.get_by_role("alert")).to_contain_text(NO_ANSWER)
    expect(heading).to_be_visible()
    expect_no_violations(page, "the passkey step, after a key that did not answer")

    authenticator.set_user_verified(True)
    use_passkey_button(page).click()
    consent_if_asked(page, iqea_dashboard(page, marie))
    assert page.url.startswith(demo.iqea), page.url
    pesticides_menu(page, TRANSMITTED).click()
    expect_passkey_claims(page, "pwd, hwk, user, mfa")


def test_3_a_citizen_adds_a_passkey_then_signs_in_with_it_at_the_pesticide_site(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox, sophie: Person
):
    page, authenticator = tab_with_authenticator(contexts)

    # Signed in with a security question: adding a passkey first asks for the emailed code.
    page.goto(f"{demo.idp}/citoyens/connexion")
    citizen_enter_password(page, sophie)
    answer_security_question(page, sophie)
    add_passkey(page, mailbox, sophie, "Téléphone de Sophie")
    expect_no_violations(page, "« Mes clés d'accès » of a citizen")
    assert len(authenticator.credentials()) == 1
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)

    # Her passkey does not open clicSÉQUR – Entreprises.
    page.goto(f"{demo.idp}/connexion")
    sign_in_with_passkey_only(page)
    expect(page.get_by_role("alert")).to_contain_text(
        "Cette clé d'accès ne permet pas de se connecter ici."
    )
    expect(page.get_by_role("heading", name=ENTERPRISE_SIGN_IN)).to_be_visible()

    # The pesticide site: « Accéder au service », then the passkey alone.
    pesticides_access(page, demo.pesticides)
    expect_citizen_sign_in_page(page)
    expect(page.get_by_role("heading", name="Se connecter avec une clé d'accès")).to_be_visible()
    expect_no_violations(page, "the citizen sign-in page with the passkey section")
    sign_in_with_passkey_only(page)
    consent_if_asked(page, pesticides_applications(page, sophie))
    assert page.url.startswith(demo.pesticides), page.url
    pesticides_menu(page, TRANSMITTED).click()
    expect_passkey_claims(page, "hwk, user, mfa")
