"""axe-core in the browser tests: the WCAG 2.1 A and AA rules, run in the page a person sees.

axe-core is the npm package of ``tests/e2e/node`` (``python3 dev.py test`` runs ``npm ci``
there). It is injected as an inline script, which the provider's Content Security Policy
(``script-src 'self'``) refuses: the pages checked are opened in a context made with
``contexts.new(bypass_csp=True)``. The journeys themselves keep the real policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA (axe-core's tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((node) => node.target.join(" ")),
  }));
}"""


@dataclass(frozen=True)
class Violation:
    """One axe rule the page breaks, and the elements that break it (CSS selectors)."""

    id: str
    impact: str | None
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.id} ({self.impact}): {self.help} at {', '.join(self.targets)}"


def axe_violations(page: Page) -> list[Violation]:
    """Inject axe-core into ``page`` (once) and run the WCAG 2.1 A/AA rules on the document."""
    if not AXE_SCRIPT.exists():
        pytest.fail(
            f"{AXE_SCRIPT} is missing: run `npm ci --prefix tests/e2e/node` "
            "(python3 dev.py test does it).",
            pytrace=False,
        )
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE_SCRIPT)
    found = page.evaluate(_RUN_AXE, WCAG_TAGS)
    return [Violation(v["id"], v["impact"], v["help"], tuple(v["targets"])) for v in found]


def expect_no_violations(page: Page, where: str) -> None:
    """Fail with each violation's rule, impact, help and offending elements."""
    violations = axe_violations(page)
    if violations:
        lines = "\n".join(f"  - {violation}" for violation in violations)
        raise AssertionError(
            f"axe-core: {len(violations)} WCAG 2.1 A/AA violation(s) on {where} ({page.url}):\n"
            f"{lines}"
        )
