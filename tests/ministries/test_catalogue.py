"""The catalogue file is validated at start-up with errors that name the entry."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from idp.ministries.catalogue import CatalogueError, load_catalogue

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "catalogue.toml"


def test_shipped_catalogue_has_the_required_ministries_and_rights():
    catalogue = load_catalogue(SHIPPED)
    melccfp = catalogue.ministry("melccfp")
    assert {s.key for s in melccfp.services} >= {
        "iqea",
        "phosphorus",
        "pesticide_sales",
        "ghg",
        "water_withdrawal",
    }
    assert {"melccfp.iqea.operator", "melccfp.iqea.verifier"} <= melccfp.right_ids
    assert catalogue.right("melccfp.iqea.operator").label_fr.endswith(
        "Identification de l'exploitant"
    )
    amf = catalogue.ministry("amf")
    assert len(amf.right_ids) == 8
    assert catalogue.right("amf.payments").label("fr") == "Effectuer des paiements"
    assert catalogue.ministry_of_right("amf.payments") is amf


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
[[ministries]]
key = "m"
acronym = "M"
name_fr = "Ministère"
name_en = "Ministry"
article_fr = "le"
name_fr_in_sentence = "ministère"
  [[ministries.services]]
  key = "s"
  name_fr = "Service"
  name_en = "Service"
  article_fr = "le"
    [[ministries.services.rights]]
    id = "m.s.r"
    label_fr = "Droit"
    label_en = "Right"
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('key = "s"', 'key = "s"\n  colour = "blue"'), "colour"),
        (('id = "m.s.r"', 'id = "other.s.r"'), "must start with"),
        (('id = "m.s.r"', 'id = "M S R"'), "ministry.service.right"),
        (('label_fr = "Droit"', 'label_fr = ""'), "label_fr"),
        # What a sentence needs around a name: the article is required and must fit the name.
        (('article_fr = "le"\n', ""), "article_fr\n  Field required"),
        (('article_fr = "le"', 'article_fr = "un"'), "must be one of le, la, l', les or empty"),
        (('name_fr_in_sentence = "ministère"', 'name_fr_in_sentence = "Autorité"'), "elides"),
        (('article_fr = "le"', 'article_fr = "l\'"'), "does not elide"),
        (('name_fr_in_sentence = "ministère"', 'name_fr_in_sentence = ""'), "name_fr_in_sentence"),
        (('article_fr = "le"', 'article_fr = "le"\nthe_en = "yes"'), "the_en"),
    ],
)
def test_invalid_catalogues_are_refused_with_the_reason(tmp_path, change, message):
    old, new = change
    with pytest.raises(CatalogueError) as error:
        load_catalogue(_write(tmp_path, MINIMAL.replace(old, new, 1)))
    assert message in str(error.value)


def test_duplicate_right_ids_are_refused(tmp_path):
    second_service = MINIMAL[MINIMAL.index("  [[ministries.services]]") :].replace(
        'key = "s"', 'key = "t"'
    )
    assert tomllib.loads(MINIMAL + second_service)  # valid TOML: the catalogue rule refuses it
    with pytest.raises(CatalogueError, match="duplicate right id"):
        load_catalogue(_write(tmp_path, MINIMAL + second_service))


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(CatalogueError, match="not found"):
        load_catalogue(tmp_path / "nothing.toml")
    with pytest.raises(CatalogueError, match="not valid TOML"):
        load_catalogue(_write(tmp_path, "[[ministries]\n"))


def test_app_refuses_to_start_with_a_bad_catalogue(tmp_path, app_config):
    from idp import create_app

    with pytest.raises(CatalogueError):
        create_app({**app_config, "catalogue_file": _write(tmp_path, "ministries = []\n")})


def test_the_shipped_catalogue_reads_well_in_sentences():
    catalogue = load_catalogue(SHIPPED)
    melccfp = catalogue.ministry("melccfp").sentence_name
    assert melccfp.a("fr").startswith("au ministère de l'Environnement, de la Lutte")
    assert melccfp.de("en").startswith("of the Ministère de l'Environnement")
    amf = catalogue.ministry("amf").sentence_name
    assert (amf.le("fr"), amf.de("fr"), amf.a("fr")) == (
        "l'Autorité des marchés financiers",
        "de l'Autorité des marchés financiers",
        "à l'Autorité des marchés financiers",
    )
    assert amf.a("en") == "to the Autorité des marchés financiers (Financial Markets Authority)"
    services = {s.key: s.sentence_name for s in catalogue.ministry("melccfp").services}
    assert services["ghg"].de("fr") == "des émissions de gaz à effet de serre"
    assert services["iqea"].de("fr").startswith("de l'Inventaire québécois")
