"""The catalogue: answers are compared without case, accents, punctuation or extra spaces."""

from __future__ import annotations

import pytest

from idp.citizens import catalogue
from idp.citizens.catalogue import normalize_answer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("École Saint-Jean", "ecole saint jean"),
        ("ecole saint jean", "ecole saint jean"),
        ("  ÉCOLE   SAINT—JEAN!  ", "ecole saint jean"),
        ("Rue des Érables", "rue des erables"),
        ("rue des érables.", "rue des erables"),
        ("O'Brien", "o brien"),
        ("Caramel", "caramel"),
        ("Straße", "strasse"),
        ("Ça va, Noël?", "ca va noel"),
        ("ﬁlle", "fille"),  # the ligature is two letters
        ("Ｙｖｅｔｔｅ", "yvette"),  # full-width letters
        ("snake_case", "snake case"),
        ("Rang 4 Est", "rang 4 est"),
        ("1984", "1984"),
        ("", ""),
        ("  ", ""),
        ("!?…", ""),
    ],
)
def test_normalize_answer(raw, expected):
    assert normalize_answer(raw) == expected


def test_the_same_answer_typed_differently_is_the_same():
    forms = ["Rue des Érables", "RUE DES ERABLES", "rue-des-érables", " rue  des  erables "]
    assert len({normalize_answer(f) for f in forms}) == 1


def test_different_answers_stay_different():
    assert normalize_answer("Caramel") != normalize_answer("Caramels")
    assert normalize_answer("Rue 10") != normalize_answer("Rue 1 0")


def test_labels_in_both_languages():
    chosen = catalogue.question("first_pet")
    assert chosen is not None
    assert chosen.label("en") == "What was the name of your first pet?"
    assert chosen.label("fr").startswith("Quel était le nom")
    assert catalogue.question("nope") is None
    assert catalogue.image("harfang") is not None
    assert catalogue.image("../../etc/passwd") is None
    assert len({c.key for c in catalogue.QUESTIONS}) == len(catalogue.QUESTIONS)
    assert len(catalogue.QUESTIONS) >= 2 * catalogue.QUESTIONS_PER_ACCOUNT
