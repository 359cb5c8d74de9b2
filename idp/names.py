"""Organisation names inside sentences: articles, contractions and elision.

French puts an article and a preposition in front of an organisation's name, and they fuse:
« le ministère » → « du ministère », « au ministère »; « l'Autorité » → « de l'Autorité »;
« les services » → « des services », « aux services ». A name without article (« Revenu
Québec », most enterprise names) takes a bare « de » that elides before a vowel sound:
« d'Aciérie Saint-Laurent inc. », « de Revenu Québec ».

The letter h. French elides before a mute h (« d'Hydro-Québec ») but not before an aspirated one
(« de Hamel Transport »), and nothing in the spelling tells them apart. Only names whose first
word is in ``MUTE_H_WORDS`` elide; every other name starting with h keeps « de ». A missing word
reads slightly stiff (« de Hôtel... ») where a wrong guess would read as a mistake.

The letter y elides before a consonant (« d'Yvon ») and not before a vowel (« de Yamaha »).

English has no contraction; an organisation says whether its name takes « the »
(« the Autorité des marchés financiers ») and the phrase is « of the X » / « to the X ».
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

Article = Literal["le", "la", "l'", "les", ""]
ARTICLES: Final[tuple[str, ...]] = ("le", "la", "l'", "les", "")

# First words (lower case, accents kept) whose h is mute. Extend when a name reads wrong.
MUTE_H_WORDS: Final[frozenset[str]] = frozenset(
    {
        "habitat",
        "habitation",
        "habitations",
        "harmonie",
        "hébergement",
        "hélicoptères",
        "héma",
        "herbier",
        "héritage",
        "histoire",
        "hiver",
        "homme",
        "hommes",
        "hôpital",
        "horizon",
        "horizons",
        "horloger",
        "horticulture",
        "hôtel",
        "hôtellerie",
        "huile",
        "huiles",
        "humain",
        "humanité",
        "hydro",
        "hygiène",
    }
)

_VOWELS: Final = frozenset("aeiouy")
_PERIOD_ENDINGS: Final = (".", "!", "?", "…")


def _base_letter(char: str) -> str:
    """The letter without its accent, lower case: « É » → « e », « Î » → « i »."""
    decomposed = unicodedata.normalize("NFD", char)
    return decomposed[0].lower() if decomposed else ""


def _first_word(name: str) -> str:
    word = []
    for char in name:
        if not char.isalpha():
            break
        word.append(char)
    return "".join(word).lower()


def starts_with_vowel_sound(name: str) -> bool:
    """Whether « de » and « le/la » elide before ``name`` (see the module docstring)."""
    if not name:
        return False
    first = _base_letter(name[0])
    if first == "h":
        return _first_word(name) in MUTE_H_WORDS
    if first == "y":
        return len(name) > 1 and _base_letter(name[1]) not in _VOWELS
    if first in {"æ", "œ"}:
        return True
    return first in _VOWELS


def check_article(name: str, article: str) -> str | None:
    """Why ``article`` cannot go before ``name``, or None when it can."""
    if article not in ARTICLES:
        return f"article {article!r} must be one of le, la, l', les or empty"
    vowel = starts_with_vowel_sound(name)
    if article in {"le", "la"} and vowel:
        return f'« {article} {name} » elides: use the article "l\'"'
    first = _base_letter(name[:1])
    if article == "l'" and not vowel and first != "h":
        return f"« l'{name} » does not elide: use « le » or « la »"
    return None


# French forms: (article form, « de » form, « à » form) by article.
_FORMS: Final[dict[str, tuple[str, str, str]]] = {
    "le": ("le ", "du ", "au "),
    "la": ("la ", "de la ", "à la "),
    "l'": ("l'", "de l'", "à l'"),
    "les": ("les ", "des ", "aux "),
}


def le_fr(name: str, article: str) -> str:
    """« le X », « la X », « l'X », « les X », or the bare name when it takes no article."""
    return _FORMS[article][0] + name if article else name


def de_fr(name: str, article: str) -> str:
    """« du X », « de la X », « de l'X », « des X », « de X » or « d'X »."""
    if article:
        return _FORMS[article][1] + name
    return ("d'" if starts_with_vowel_sound(name) else "de ") + name


def a_fr(name: str, article: str) -> str:
    """« au X », « à la X », « à l'X », « aux X » or « à X »."""
    return _FORMS[article][2] + name if article else "à " + name


def capfirst(text: str) -> str:
    """The text with its first letter in capitals (« du ministère » → « Du ministère »)."""
    return text[:1].upper() + text[1:]


def sentence(text: str) -> str:
    """The text ended by one period: none is added after « inc. », « ? » or « ! »."""
    stripped = text.rstrip()
    if stripped.endswith(_PERIOD_ENDINGS):
        return stripped
    return stripped + "."


@dataclass(frozen=True)
class OrganisationName:
    """What both languages need to put one organisation's name in a sentence."""

    fr: str
    article_fr: str = ""
    en: str = ""
    the_en: bool = False

    @classmethod
    def bare(cls, name: str) -> OrganisationName:
        """A name known only as text (an unknown ministry key): no article in either language."""
        return cls(fr=name, en=name)

    def _en(self) -> str:
        name = self.en or self.fr
        return "the " + name if self.the_en else name

    def le(self, language: str) -> str:
        """« l'Autorité des marchés financiers » / « the Autorité des marchés financiers »."""
        return self._en() if language == "en" else le_fr(self.fr, self.article_fr)

    def de(self, language: str) -> str:
        """« de l'Autorité des marchés financiers » / « of the Autorité des marchés financiers »."""
        return "of " + self._en() if language == "en" else de_fr(self.fr, self.article_fr)

    def a(self, language: str) -> str:
        """« à l'Autorité des marchés financiers » / « to the Autorité des marchés financiers »."""
        return "to " + self._en() if language == "en" else a_fr(self.fr, self.article_fr)
