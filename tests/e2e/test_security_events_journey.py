"""A rights change pushed to IQEA in a real browser (issue #19): the holder of a proxy is signed
in at IQEA; in another browser their ESM cancels the proxy; within seconds the provider has
pushed a security event (a CAEP token-claims-change, RFC 8935) and the holder's IQEA page, at
its next load, says « Vos droits ont changé », that no right remains and that the session is
over. The first try of the push is made as the ESM's response closes, in the demo process
itself: no scheduler runs here. axe-core checks the notice in French and in English.

It makes its own user and proxy (journey 1's steps, another name), as journey 6 does.
"""

from __future__ import annotations

import time

from playwright.sync_api import Locator, Page, expect

from tests.e2e.accessibility import expect_no_violations
from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import Mailbox, Person, cancel_proxy, iqea_sign_in, iqea_signed_out
from tests.e2e.test_journeys import enrol

HOLDER = ("Chloé", "Bergeron")
# The push is made as the ESM's page is answered; a loaded machine may take a few seconds.
PUSH_SECONDS = 20


def reload_until_visible(page: Page, shown: Locator, seconds: float) -> float:
    """Reload ``page`` until ``shown`` appears (the site has no script); how long it took."""
    started = time.monotonic()
    while True:
        page.reload()
        if shown.count():
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            raise AssertionError(f"nothing shown on {page.url} within {seconds} s")
        page.wait_for_timeout(500)


def test_21_iqea_shows_the_rights_change_the_provider_pushed(
    contexts: Contexts, demo: DemoServers, mailbox: Mailbox, esm: Person
) -> None:
    admin = contexts.new(bypass_csp=True).new_page()
    holder = enrol(admin, demo, mailbox, esm, *HOLDER)
    assert holder.proxy_url is not None
    page = contexts.new(bypass_csp=True).new_page()
    iqea_sign_in(page, demo.iqea, mailbox, holder)
    expect(page.get_by_role("link", name="Déclarer les émissions atmosphériques")).to_be_visible()
    expect(page.get_by_role("region", name="Vos droits ont changé")).to_have_count(0)

    # The ESM cancels the proxy; the provider pushes the change to IQEA.
    cancel_proxy(admin, holder.proxy_url)

    notice = page.get_by_role("region", name="Vos droits ont changé")
    waited = reload_until_visible(page, notice, PUSH_SECONDS)
    assert waited < PUSH_SECONDS
    expect(notice).to_contain_text("clicSÉQUR nous en a informés le")
    expect(notice).to_contain_text("Aucun : vos droits ne permettent plus d'utiliser l'IQEA.")
    expect(notice).to_contain_text("Votre session à l'IQEA a donc pris fin.")
    expect(iqea_signed_out(page)).to_be_visible()
    expect_no_violations(page, "IQEA's notice of a rights change")

    # The person's pages are closed to them; the notice stays until they sign in again.
    page.goto(f"{demo.iqea}/declarations")
    expect(page.get_by_role("button", name="Préparer la déclaration")).to_have_count(0)
    expect(notice).to_be_visible()

    page.get_by_role("link", name="English").click()
    english = page.get_by_role("region", name="Your rights have changed")
    expect(english).to_contain_text("None: your rights no longer allow you to use IQEA.")
    expect_no_violations(page, "IQEA's notice of a rights change, in English")
