"""The published texts of the conditions of use, read and checked when the provider starts.

One folder per portal (``enterprise``, ``citizen``) under ``IDP_CONDITIONS_DIR``; in each, one
file per version and language, named ``<YYYY-MM-DD>.<fr|en>.md``. A version is its date. Every
version must exist in both languages and each portal must have one; anything else in the folder
stops the start with the file named, like a relying-party file with a mistake.

The Markdown is rendered once, here, with raw HTML turned off: a ``<script>`` in a text file is
shown as text, never run, and links may only be http(s) or mailto (markdown-it's defaults).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

from idp.accounts.models import Portal

LANGUAGES = ("fr", "en")
_FILE_NAME = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})\.(?P<language>[a-z]{2})\.md$")


class ConditionsError(ValueError):
    """The conditions folder cannot be published as it is; the message names the file."""


@dataclass(frozen=True)
class ConditionsVersion:
    """One version of one portal's conditions, in both languages."""

    portal: Portal
    published_on: date
    # Rendered HTML by language ("fr", "en"), safe to put in a page.
    html: dict[str, Markup] = field(compare=False, repr=False)

    @property
    def label(self) -> str:
        """The version as recorded with each acceptance: its date, ``2026-11-01``."""
        return self.published_on.isoformat()

    def html_in(self, language: str) -> Markup:
        return self.html.get(language) or self.html["fr"]


@dataclass(frozen=True)
class PublishedConditions:
    """Every version of both portals, oldest first."""

    versions: dict[Portal, tuple[ConditionsVersion, ...]]

    def in_force(self, portal: Portal) -> ConditionsVersion:
        """The version a person of ``portal`` must have accepted: the latest."""
        return self.versions[portal][-1]


def _renderer() -> MarkdownIt:
    # CommonMark with raw HTML off: tags in a text are escaped (shown, never interpreted).
    return MarkdownIt("commonmark", {"html": False})


def render(text: str) -> Markup:
    """Markdown to HTML that is safe to put in a page (raw HTML escaped)."""
    return Markup(_renderer().render(text))  # noqa: S704 (markdown-it escaped every tag: html=False)


def load_conditions(directory: Path) -> PublishedConditions:
    """Read and check every version of both portals' conditions."""
    if not directory.is_dir():
        raise ConditionsError(f"{directory}: the conditions folder does not exist")
    unknown = sorted(p.name for p in directory.iterdir() if p.name not in {str(q) for q in Portal})
    if unknown:
        raise ConditionsError(
            f"{directory / unknown[0]}: not a portal (expected {', '.join(map(str, Portal))})"
        )
    return PublishedConditions({portal: _portal_versions(directory, portal) for portal in Portal})


def _portal_versions(directory: Path, portal: Portal) -> tuple[ConditionsVersion, ...]:
    folder = directory / str(portal)
    texts: dict[date, dict[str, Markup]] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        published_on, language = _parse_name(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConditionsError(f"{path}: not UTF-8 text") from exc
        if not text.strip():
            raise ConditionsError(f"{path}: the file is empty")
        texts.setdefault(published_on, {})[language] = render(text)
    if not texts:
        raise ConditionsError(f"{folder}: no version of the {portal} conditions")
    for published_on, by_language in texts.items():
        missing = [language for language in LANGUAGES if language not in by_language]
        if missing:
            raise ConditionsError(
                f"{folder / f'{published_on.isoformat()}.{missing[0]}.md'}: missing; "
                "every version needs its French and English texts"
            )
    return tuple(
        ConditionsVersion(portal, published_on, texts[published_on])
        for published_on in sorted(texts)
    )


def _parse_name(path: Path) -> tuple[date, str]:
    match = _FILE_NAME.match(path.name)
    if match is None or not path.is_file():
        raise ConditionsError(f"{path}: expected a file named YYYY-MM-DD.fr.md or YYYY-MM-DD.en.md")
    if match["language"] not in LANGUAGES:
        raise ConditionsError(f"{path}: the language must be one of {', '.join(LANGUAGES)}")
    try:
        return date.fromisoformat(match["date"]), match["language"]
    except ValueError as exc:
        raise ConditionsError(f"{path}: {match['date']} is not a date") from exc
