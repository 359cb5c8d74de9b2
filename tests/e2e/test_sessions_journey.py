"""« Mes sessions » in a real browser: a person signs in on a second browser, is told of it by
email (« Nouvelle connexion à votre compte »), follows the email's link to « Mes sessions » and
signs the other browser out from there; the other is then back at the sign-in page. axe-core
checks the page.

Éric Lavoie, the AMF's ministry operator in the demo, is used by no other journey.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.accessibility import expect_no_violations
from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import Mailbox, demo_person, sign_in

NEW_SIGN_IN = "à partir d'un navigateur qui n'avait jamais servi pour ce compte"


def signed_in_home(page: Page, idp: str, mailbox: Mailbox) -> None:
    page.goto(f"{idp}/connexion")
    sign_in(page, mailbox, demo_person("AMFQ-2345"))
    expect(page.get_by_role("heading", name="Bienvenue, Éric Lavoie")).to_be_visible()


def test_19_a_new_browser_is_told_by_email_and_signed_out_from_my_sessions(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox
) -> None:
    person = demo_person("AMFQ-2345")
    other = contexts.new().new_page()
    signed_in_home(other, demo.idp, mailbox)
    # His first sign-in ever: nothing to tell.
    assert not [b for b in mailbox.bodies_to(other.context, person.email) if NEW_SIGN_IN in b]

    page = contexts.new(bypass_csp=True).new_page()
    signed_in_home(page, demo.idp, mailbox)
    told = mailbox.newest_saying(page.context, person.email, NEW_SIGN_IN)
    assert "Appareil : " in told, told
    assert "Si ce n'était pas vous, changez votre mot de passe sans tarder" in told, told
    sessions_link = mailbox.link_for(page.context, person.email, "/compte/sessions")

    page.goto(sessions_link)
    expect(page.get_by_role("heading", name="Mes sessions", exact=True)).to_be_visible()
    # The menu leads there too.
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mes sessions"
    ).click()
    expect(page.get_by_role("heading", name="Mes sessions", exact=True)).to_be_visible()
    expect(
        page.get_by_text("Ce navigateur : la session que vous utilisez en ce moment.")
    ).to_be_visible()
    expect_no_violations(page, "« Mes sessions » with two browsers")
    sign_out_buttons = page.get_by_role("button", name="Déconnecter cette session")
    expect(sign_out_buttons).to_have_count(1)
    sign_out_buttons.click()
    expect(
        page.get_by_text(
            "Cette session est déconnectée; les sites qu'elle a consultés en ont été avisés."
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name="Déconnecter cette session")).to_have_count(0)
    expect_no_violations(page, "« Mes sessions » after signing the other browser out")

    other.reload()
    expect(other.get_by_label("Code d'utilisateur")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Mes sessions", exact=True)).to_be_visible()
