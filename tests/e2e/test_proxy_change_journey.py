"""Changing a proxy's rights in a real browser (issue #17): the ESM takes the IQEA right away
from a proxy while its holder is signed in at IQEA; the provider tells IQEA at once
(back-channel logout), and the holder's next request there finds no session and no right. The
AMF right the proxy keeps is untouched. axe-core checks the form and the review.

It makes its own user and proxy (journey 1's steps, another name), as journey 6 does.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.accessibility import expect_no_violations
from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import IQEA_OPERATOR_LABEL, Mailbox, Person, iqea_sign_in, iqea_signed_out
from tests.e2e.test_journeys import enrol

HOLDER = ("Gabriel", "Morin")


def test_20_taking_the_iqea_right_away_ends_the_holders_iqea_session(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox, esm: Person
) -> None:
    admin = contexts.new(bypass_csp=True).new_page()
    holder = enrol(admin, demo, mailbox, esm, *HOLDER)
    assert holder.proxy_url is not None
    page = contexts.page()
    iqea_sign_in(page, demo.iqea, mailbox, holder)
    expect(page.get_by_role("link", name="Déclarer les émissions atmosphériques")).to_be_visible()

    # The ESM opens the proxy and changes its rights: the MELCCFP is no longer included.
    admin.goto(holder.proxy_url)
    admin.get_by_role("link", name="Modifier les droits").click()
    expect(
        admin.get_by_role("heading", name="Modifier les droits de la procuration")
    ).to_be_visible()
    melccfp = admin.locator(".proxies-ministry").filter(has_text="« Avec restriction » – MELCCFP")
    expect(melccfp.get_by_label(IQEA_OPERATOR_LABEL, exact=False)).to_be_checked()
    expect_no_violations(admin, "the proxy's change form")
    melccfp.get_by_label(IQEA_OPERATOR_LABEL, exact=False).uncheck()
    melccfp.get_by_label("Non inclus", exact=True).check()
    admin.get_by_role("button", name="Continuer").click()

    expect(admin.get_by_role("heading", name="Vérifier la modification")).to_be_visible()
    expect(admin.get_by_text("Des droits sont retirés")).to_contain_text("1 titulaire")
    expect_no_violations(admin, "the review of a proxy's change")
    admin.get_by_role("button", name="Confirmer la modification").click()
    expect(admin.get_by_text("La procuration a été modifiée.")).to_be_visible()
    rights = admin.get_by_role("region", name="Droits accordés")
    expect(rights).not_to_contain_text("MELCCFP")
    expect(rights).to_contain_text("Effectuer des paiements")

    # IQEA heard of it (back-channel logout): the holder's next request there is signed out.
    page.reload()
    expect(iqea_signed_out(page)).to_be_visible()
    page.goto(f"{demo.iqea}/declarations")
    expect(page.get_by_role("button", name="Préparer la déclaration")).to_have_count(0)
