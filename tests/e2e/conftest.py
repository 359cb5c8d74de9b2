"""Browser tests: the provider and the demo sites as real processes, driven by Chromium.

- ``demo``: ``idp demo start``, ``python -m demo_rp.iqea``, ``python -m demo_rp.amf`` and
  ``python -m demo_rp.pesticides``, started once for this folder's tests on free loopback ports
  and named ``localhost`` like the demo's (``servers.py``), stopped after.
  ``test_passkey_journey.py`` starts its own, where IQEA requires a passkey.
- ``browser``: Debian's Chromium (``/usr/bin/chromium``, installed by ``python3 dev.py test``)
  driven by Playwright, headless, without background networking.
- ``contexts``: each test opens its own browser contexts (fresh cookies: one per person); when
  the test fails, a screenshot, the HTML and the console of every open page go to
  ``test-artifacts/e2e/<test name>/``. The servers' logs are ``test-artifacts/e2e/*.log``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.servers import ARTIFACTS, DemoServers, start_demo_servers
from tests.e2e.steps import Mailbox, Person, demo_citizen, demo_person

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Every wait of a step (an element, a text, a navigation), in milliseconds.
STEP_TIMEOUT_MS = 10_000
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist the journeys run in one worker, in order, against one set of servers
    (journey 1's user serves journeys 2 to 4)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[pytest.TestReport]:
    """Keep each phase's report on the test, for the artefacts of a failure."""
    report: pytest.TestReport = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


# -- the servers and the browser ---------------------------------------------------------------


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServers]:
    servers = start_demo_servers(tmp_path_factory.mktemp("e2e-demo"))
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium); "
            "python3 dev.py test does it.",
            pytrace=False,
        )
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Contexts:
    """The browser contexts of one test: one per person, each with fresh cookies."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.opened: list[BrowserContext] = []
        self.console: dict[int, list[str]] = {}
        # Pages captured mid-test (name, screenshot, HTML), written only if the test fails.
        self.checkpoints: list[tuple[str, bytes, str]] = []

    def new(self, *, bypass_csp: bool = False) -> BrowserContext:
        """A context of its own; ``bypass_csp`` only for the accessibility check, whose
        axe-core is an inline script the provider's policy refuses (``accessibility.py``)."""
        context = self.browser.new_context(
            locale="fr-CA", timezone_id="America/Toronto", bypass_csp=bypass_csp
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        messages = self.console.setdefault(len(self.opened), [])
        context.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        self.opened.append(context)
        return context

    def page(self) -> Page:
        return self.new().new_page()

    def checkpoint(self, page: Page, name: str) -> None:
        """Keep how ``page`` looks now, for the artefacts should the test fail later."""
        self.checkpoints.append((name, page.screenshot(full_page=True), page.content()))

    def save(self, directory: Path) -> None:
        """A screenshot, the HTML and the address of every open page; each context's console."""
        directory.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(self.opened, start=1):
            for tab, page in enumerate(context.pages, start=1):
                stem = directory / f"context{number}-page{tab}"
                try:
                    page.screenshot(path=f"{stem}.png", full_page=True)
                    stem.with_suffix(".html").write_text(page.content(), "utf-8")
                except Exception as error:  # noqa: BLE001 (a dead page must not hide the failure)
                    stem.with_suffix(".error.txt").write_text(repr(error), "utf-8")
                stem.with_suffix(".url.txt").write_text(page.url + "\n", "utf-8")
            lines = self.console.get(number - 1, [])
            if lines:
                (directory / f"context{number}-console.txt").write_text(
                    "\n".join(lines) + "\n", "utf-8"
                )

        for number, (name, png, html) in enumerate(self.checkpoints, start=1):
            stem = directory / f"checkpoint{number}-{name}"
            stem.with_suffix(".png").write_bytes(png)
            stem.with_suffix(".html").write_text(html, "utf-8")

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(
    request: pytest.FixtureRequest, browser: Browser, demo: DemoServers
) -> Iterator[Contexts]:
    directory = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(directory, ignore_errors=True)
    opened = Contexts(browser)
    yield opened
    reports = request.node.stash.get(_REPORTS, {})
    if any(report.failed for report in reports.values()):
        opened.save(directory)
    opened.close()
    demo.check_running()


@pytest.fixture
def page(contexts: Contexts) -> Page:
    return contexts.page()


# -- people and shared state -------------------------------------------------------------------


@pytest.fixture(scope="package")
def mailbox(demo: DemoServers) -> Mailbox:
    return Mailbox(demo.mailbox)


@pytest.fixture
def esm() -> Person:
    """Marie Tremblay, electronic services manager of Aciérie Saint-Laurent inc."""
    return demo_person("ESMA-2345")


@pytest.fixture
def consultant() -> Person:
    """Karim Haddad of Conseils Verts Québec inc., with the external IQEA verifier proxies of
    Aciérie Saint-Laurent inc. and Cimenterie Outaouais inc."""
    return demo_person("CNST-3457")


@pytest.fixture
def jean_roy(shared: dict[str, Person]) -> Person:
    """Jean Roy, holder of Aciérie's seeded internal proxy (IQEA operator, AMF payments and
    disclosures); one for the session, since a journey changes his email address."""
    return shared.setdefault("Jean Roy", demo_person("USRA-2346"))


@pytest.fixture
def sophie() -> Person:
    """Sophie Gagnon, the citizen of the demo data (clicSÉQUR – Citoyens), with her four
    security answers."""
    return demo_citizen()


@pytest.fixture(scope="package")
def shared() -> dict[str, Person]:
    """People made or changed by one journey that later ones reuse (the user of journey 1,
    Jean Roy once his email address is changed)."""
    return {}
