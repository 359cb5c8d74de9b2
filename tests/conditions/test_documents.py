"""The published texts: every version in both languages, named by its date, rendered safely."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from idp.accounts.models import Portal
from idp.conditions.documents import ConditionsError, load_conditions, render
from tests.conftest import ROOT


def write(directory: Path, portal: str, name: str, text: str = "## Objet\n\nDu texte.\n") -> Path:
    path = directory / portal / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def publish(directory: Path, portal: str, day: str, text: str = "## Objet\n\nDu texte.\n") -> None:
    write(directory, portal, f"{day}.fr.md", text)
    write(directory, portal, f"{day}.en.md", text)


@pytest.fixture
def conditions_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "conditions"
    publish(directory, "enterprise", "2026-01-15")
    publish(directory, "citizen", "2026-01-15")
    return directory


def test_the_projects_conditions_load_in_both_languages_for_both_portals():
    published = load_conditions(ROOT / "config" / "conditions")
    for portal in Portal:
        version = published.in_force(portal)
        assert "<h2>" in version.html_in("fr")
        assert "<h2>" in version.html_in("en")
        assert version.html_in("fr") != version.html_in("en")
    assert "clicSÉQUR – Citoyens" in published.in_force(Portal.CITIZEN).html_in("fr")
    assert "clicSÉQUR – Entreprises" in published.in_force(Portal.ENTERPRISE).html_in("en")


def test_the_latest_date_is_the_version_in_force(conditions_dir):
    publish(conditions_dir, "enterprise", "2026-03-01", "Nouvelle version")
    publish(conditions_dir, "enterprise", "2025-12-31", "Ancienne version")
    published = load_conditions(conditions_dir)
    in_force = published.in_force(Portal.ENTERPRISE)
    assert in_force.published_on == date(2026, 3, 1)
    assert in_force.label == "2026-03-01"
    assert "Nouvelle version" in in_force.html_in("fr")
    assert [v.label for v in published.versions[Portal.ENTERPRISE]] == [
        "2025-12-31",
        "2026-01-15",
        "2026-03-01",
    ]
    # Each portal has its own versions.
    assert published.in_force(Portal.CITIZEN).label == "2026-01-15"


def test_a_version_without_its_english_text_is_refused(conditions_dir):
    write(conditions_dir, "citizen", "2026-02-01.fr.md")
    with pytest.raises(ConditionsError) as excinfo:
        load_conditions(conditions_dir)
    assert "citizen/2026-02-01.en.md: missing" in str(excinfo.value)


def test_a_version_without_its_french_text_is_refused(conditions_dir):
    write(conditions_dir, "enterprise", "2026-02-01.en.md")
    with pytest.raises(ConditionsError) as excinfo:
        load_conditions(conditions_dir)
    assert "enterprise/2026-02-01.fr.md: missing" in str(excinfo.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("conditions.md", "expected a file named YYYY-MM-DD.fr.md"),
        ("2026-02-01.md", "expected a file named YYYY-MM-DD.fr.md"),
        ("2026-2-1.fr.md", "expected a file named YYYY-MM-DD.fr.md"),
        ("2026-02-01.fr.txt", "expected a file named YYYY-MM-DD.fr.md"),
        ("2026-02-01.de.md", "the language must be one of fr, en"),
        ("2026-02-30.fr.md", "2026-02-30 is not a date"),
    ],
)
def test_a_badly_named_file_is_refused_with_its_name(conditions_dir, name, expected):
    path = write(conditions_dir, "enterprise", name)
    with pytest.raises(ConditionsError) as excinfo:
        load_conditions(conditions_dir)
    assert str(path) in str(excinfo.value)
    assert expected in str(excinfo.value)


def test_an_empty_file_is_refused(conditions_dir):
    write(conditions_dir, "citizen", "2026-02-01.fr.md", "  \n")
    write(conditions_dir, "citizen", "2026-02-01.en.md")
    with pytest.raises(ConditionsError, match="the file is empty"):
        load_conditions(conditions_dir)


def test_a_portal_without_any_version_is_refused(tmp_path):
    directory = tmp_path / "conditions"
    publish(directory, "enterprise", "2026-01-15")
    with pytest.raises(ConditionsError, match="no version of the citizen conditions"):
        load_conditions(directory)


def test_an_unknown_portal_folder_is_refused(conditions_dir):
    publish(conditions_dir, "ministries", "2026-01-15")
    with pytest.raises(ConditionsError, match="ministries: not a portal"):
        load_conditions(conditions_dir)


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(ConditionsError, match="does not exist"):
        load_conditions(tmp_path / "nowhere")


def test_the_provider_does_not_start_on_a_broken_conditions_folder(app_config, conditions_dir):
    from idp import create_app

    write(conditions_dir, "enterprise", "2026-02-01.fr.md")
    with pytest.raises(ConditionsError, match="2026-02-01.en.md: missing"):
        create_app({**app_config, "conditions_dir": conditions_dir})


def test_html_in_a_text_is_shown_never_run():
    html = render('Texte <script>alert("x")</script> et <b onclick="x()">gras</b>\n')
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b " not in html


def test_markdown_is_rendered_and_unsafe_links_are_not():
    html = render(
        "## Titre\n\n- **un** point\n\n[ok](https://www.quebec.ca) [bad](javascript:alert(1))\n"
    )
    assert "<h2>Titre</h2>" in html
    assert "<li><strong>un</strong> point</li>" in html
    assert '<a href="https://www.quebec.ca">ok</a>' in html
    assert "javascript:" not in html.replace("[bad](javascript:alert(1))", "")
    assert 'href="javascript' not in html
