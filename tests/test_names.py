"""Organisation names in French and English sentences: articles, contractions, elision."""

from __future__ import annotations

from html import unescape

import pytest

from idp.names import (
    OrganisationName,
    a_fr,
    capfirst,
    check_article,
    de_fr,
    le_fr,
    sentence,
    starts_with_vowel_sound,
)


@pytest.mark.parametrize(
    ("name", "article", "le", "de", "a"),
    [
        ("ministère des Finances", "le", "le ministère des Finances", "du ministère des Finances",
         "au ministère des Finances"),
        ("Régie du bâtiment", "la", "la Régie du bâtiment", "de la Régie du bâtiment",
         "à la Régie du bâtiment"),
        ("Autorité des marchés financiers", "l'", "l'Autorité des marchés financiers",
         "de l'Autorité des marchés financiers", "à l'Autorité des marchés financiers"),
        ("Offices jeunesse", "les", "les Offices jeunesse", "des Offices jeunesse",
         "aux Offices jeunesse"),
        ("Revenu Québec", "", "Revenu Québec", "de Revenu Québec", "à Revenu Québec"),
        ("Aciérie Saint-Laurent inc.", "", "Aciérie Saint-Laurent inc.",
         "d'Aciérie Saint-Laurent inc.", "à Aciérie Saint-Laurent inc."),
        # Accented capitals elide like their plain letters.
        ("École Polytechnique", "", "École Polytechnique", "d'École Polytechnique",
         "à École Polytechnique"),
        ("Îles Boisées ltée", "", "Îles Boisées ltée", "d'Îles Boisées ltée",
         "à Îles Boisées ltée"),
        ("Œuvres Nord", "", "Œuvres Nord", "d'Œuvres Nord", "à Œuvres Nord"),
        ("Ultramar", "", "Ultramar", "d'Ultramar", "à Ultramar"),
        # h: mute in a short list of words, otherwise treated as aspirated (no elision).
        ("Hydro-Québec", "", "Hydro-Québec", "d'Hydro-Québec", "à Hydro-Québec"),
        ("Hôtel Le Germain", "", "Hôtel Le Germain", "d'Hôtel Le Germain", "à Hôtel Le Germain"),
        ("Hamel Transport", "", "Hamel Transport", "de Hamel Transport", "à Hamel Transport"),
        # y: a vowel before a consonant, a consonant before a vowel.
        ("Yvon Lemay inc.", "", "Yvon Lemay inc.", "d'Yvon Lemay inc.", "à Yvon Lemay inc."),
        ("Yamaha Canada", "", "Yamaha Canada", "de Yamaha Canada", "à Yamaha Canada"),
        ("3M Canada", "", "3M Canada", "de 3M Canada", "à 3M Canada"),
        ("Papetière Boréale inc.", "", "Papetière Boréale inc.", "de Papetière Boréale inc.",
         "à Papetière Boréale inc."),
    ],
)  # fmt: skip
def test_french_forms(name, article, le, de, a):
    assert (le_fr(name, article), de_fr(name, article), a_fr(name, article)) == (le, de, a)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Érablière", True),
        ("Àtelier", True),
        ("Âge d'or", True),
        ("Îlot", True),
        ("Ôzone", True),
        ("Ûnion", True),
        ("éolien", True),
        ("hydro", True),
        ("HYDRO-QUÉBEC", True),
        ("Habitations Trois-Rivières", True),
        ("Hockey Canada", False),
        ("Ybarra", True),
        ("Yeti", False),
        ("Bois", False),
        ("« Aciérie »", False),
        ("", False),
    ],
)
def test_vowel_sound(name, expected):
    assert starts_with_vowel_sound(name) is expected


@pytest.mark.parametrize(
    ("name", "article", "problem"),
    [
        ("ministère", "le", None),
        ("Autorité", "l'", None),
        ("Hôtel-Dieu", "l'", None),  # a mute h missing from the list is still allowed « l' »
        ("Hamel", "le", None),
        ("Revenu Québec", "", None),
        ("services", "les", None),
        ("Autorité", "la", "elides"),
        ("Écoles", "le", "elides"),
        ("ministère", "l'", "does not elide"),
        ("ministère", "un", "must be one of"),
        ("ministère", "Le", "must be one of"),
    ],
)
def test_article_checks(name, article, problem):
    found = check_article(name, article)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("du ministère", "Du ministère"),
        ("l'Autorité", "L'Autorité"),
        ("à l'Autorité", "À l'Autorité"),
        ("écoles", "Écoles"),
        ("Aciérie", "Aciérie"),
        ("", ""),
    ],
)
def test_capfirst(text, expected):
    assert capfirst(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Reçue d'Aciérie Saint-Laurent inc.", "Reçue d'Aciérie Saint-Laurent inc."),
        ("Inscription à Revenu Québec", "Inscription à Revenu Québec."),
        ("Vraiment?", "Vraiment?"),
        ("Enfin!", "Enfin!"),
        ("Et puis…", "Et puis…"),
        ("Fin.  ", "Fin."),
    ],
)  # fmt: skip
def test_sentence_adds_one_period_only(text, expected):
    assert sentence(text) == expected


AMF = OrganisationName(
    fr="Autorité des marchés financiers",
    article_fr="l'",
    en="Autorité des marchés financiers",
    the_en=True,
)
ACIERIE = OrganisationName(fr="Aciérie Saint-Laurent inc.", en="Aciérie Saint-Laurent inc.")


@pytest.mark.parametrize(
    ("organisation", "language", "le", "de", "a"),
    [
        (AMF, "fr", "l'Autorité des marchés financiers", "de l'Autorité des marchés financiers",
         "à l'Autorité des marchés financiers"),
        (AMF, "en", "the Autorité des marchés financiers", "of the Autorité des marchés financiers",
         "to the Autorité des marchés financiers"),
        (ACIERIE, "fr", "Aciérie Saint-Laurent inc.", "d'Aciérie Saint-Laurent inc.",
         "à Aciérie Saint-Laurent inc."),
        (ACIERIE, "en", "Aciérie Saint-Laurent inc.", "of Aciérie Saint-Laurent inc.",
         "to Aciérie Saint-Laurent inc."),
        (OrganisationName.bare("rq"), "fr", "rq", "de rq", "à rq"),
    ],
)  # fmt: skip
def test_organisation_name_in_both_languages(organisation, language, le, de, a):
    assert organisation.le(language) == le
    assert organisation.de(language) == de
    assert organisation.a(language) == a


def test_filters_follow_the_page_language(app):
    from flask import render_template_string
    from flask_babel import refresh

    template = (
        "{{ _('x') }}{{ amf|name_de|capfirst }} | {{ acierie|name_de }} | {{ amf|name_a }} | "
        "{{ 'rq'|name_le }} | {{ ('Saint-Laurent inc.')|sentence }}"
    )
    # The app fixture's context keeps Babel's choice of locale: refresh it in each request.
    with app.test_request_context("/?lang=fr"):
        refresh()
        page = unescape(render_template_string(template, amf=AMF, acierie=ACIERIE))
    assert page.endswith(
        "De l'Autorité des marchés financiers | d'Aciérie Saint-Laurent inc. | "
        "à l'Autorité des marchés financiers | rq | Saint-Laurent inc."
    )
    with app.test_request_context("/?lang=en"):
        refresh()
        page = unescape(render_template_string(template, amf=AMF, acierie=ACIERIE))
    assert page.endswith(
        "Of the Autorité des marchés financiers | of Aciérie Saint-Laurent inc. | "
        "to the Autorité des marchés financiers | rq | Saint-Laurent inc."
    )
