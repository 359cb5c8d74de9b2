"""A phone held upright (375 × 812): the main pages of an electronic services manager fit the
screen, nothing makes the page scroll sideways, and the « S'inscrire » button of the online
services (the last column of a table on a wide screen) is on screen and works.

Sophie Côté (Conseils Verts Québec inc., registered nowhere in the demo data) is the manager:
both ministries offer her « S'inscrire ». The test only opens the registration form; it sends
nothing, so the accessibility test and the journeys find her enterprise as it was. axe-core
also checks the pages whose tables become cards (hence ``bypass_csp``, see ``accessibility.py``).
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.accessibility import expect_no_violations
from tests.e2e.conftest import Contexts
from tests.e2e.servers import DemoServers
from tests.e2e.steps import Mailbox, console_signed_in, demo_person

PHONE = {"width": 375, "height": 812}
# The page's width, and the elements past the right edge of the screen (to say which).
_OVERFLOW = """(limit) => {
  const wider = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > limit + 0.5) {
      const name = `${element.tagName.toLowerCase()}.${element.className}`;
      wider.push(`${name} (${Math.round(box.right)} px)`);
    }
  }
  return {width: document.documentElement.scrollWidth, wider: wider.slice(0, 10)};
}"""


def expect_no_sideways_scrolling(page: Page, where: str) -> None:
    # The heading is visible before the stylesheets arrive on a busy machine; measured then,
    # an unstyled table is wider than the screen. The load event waits for them.
    page.wait_for_load_state("load")
    found = page.evaluate(_OVERFLOW, PHONE["width"])
    assert found["width"] <= PHONE["width"], (
        f"{where} ({page.url}) is {found['width']} px wide on a {PHONE['width']} px screen; "
        f"past the edge: {', '.join(found['wider'])}"
    )


def expect_on_screen(element: Locator, what: str) -> None:
    """Fully inside the screen's width (a button cut by the edge cannot be read or aimed at)."""
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    assert box is not None, what
    assert box["x"] >= 0, f"{what}: {box}"
    assert box["x"] + box["width"] <= PHONE["width"], f"{what}: {box}"


def test_main_pages_fit_a_phone_screen(contexts: Contexts, demo: DemoServers, mailbox: Mailbox):
    page = contexts.new(bypass_csp=True).new_page()
    page.set_viewport_size(PHONE)
    esm = demo_person("ESMC-3456")
    console_signed_in(page, demo.idp, mailbox, esm)
    expect_no_sideways_scrolling(page, "the home page")

    menu = page.get_by_role("navigation", name="Menu principal")
    for link, heading in (
        ("Services en ligne", "Services en ligne des ministères"),
        ("Utilisateurs", "Utilisateurs"),
        ("Procurations", "Procurations"),
        (re.compile(r"^Messages"), "Messages"),
    ):
        menu.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect_no_sideways_scrolling(page, f"the page « {heading} »")
        expect_no_violations(page, f"the page « {heading} » on a phone")

    page.get_by_role("contentinfo").get_by_role("link", name="Aide").click()
    expect(page.get_by_role("heading", name="Aide à la connexion")).to_be_visible()
    expect_no_sideways_scrolling(page, "the help page")

    # The online services: each ministry is a card, its « S'inscrire » in view and working.
    menu.get_by_role("link", name="Services en ligne").click()
    register = page.get_by_role("main").get_by_role("link", name=re.compile("^S'inscrire"))
    expect(register.first).to_be_visible()
    for index in range(register.count()):
        expect_on_screen(register.nth(index), f"« S'inscrire » number {index + 1}")
    register.first.click()
    expect(page.get_by_role("heading", name=re.compile("^Inscription – "))).to_be_visible()
    expect_no_sideways_scrolling(page, "the registration form")
