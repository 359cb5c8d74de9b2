"""Every string a person can see exists in French: nothing untranslated, fuzzy or missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
FRENCH = ROOT / "idp" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def _catalogue(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def test_french_catalogue_is_complete():
    catalogue = _catalogue(FRENCH)
    untranslated = [
        m.id
        for m in catalogue
        if m.id and not all(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(pot) if m.id}
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(FRENCH) if m.id}
    assert sorted(extracted - known) == []
