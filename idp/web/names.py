"""Organisation names in the page's language: the Jinja filters and their Python twins.

``{{ ministry|name_de }}`` reads « du ministère de l'Environnement... » in French and « of the
Ministère de l'Environnement... » in English. A filter takes anything with a ``sentence_name``
(catalogue ministries and services, relying parties, enterprises), an ``OrganisationName``, or a
plain string (an unknown ministry key), which is put in the sentence as is, without article.
"""

from __future__ import annotations

from typing import Protocol

from flask import Flask

from idp import names
from idp.names import OrganisationName
from idp.web.i18n import page_language


class HasSentenceName(Protocol):
    @property
    def sentence_name(self) -> OrganisationName: ...


Nameable = HasSentenceName | OrganisationName | str


def sentence_name(thing: Nameable) -> OrganisationName:
    if isinstance(thing, OrganisationName):
        return thing
    if isinstance(thing, str):
        return OrganisationName.bare(thing)
    return thing.sentence_name


def name_le(thing: Nameable, language: str | None = None) -> str:
    """« l'Autorité des marchés financiers » / « the Autorité des marchés financiers »."""
    return sentence_name(thing).le(language or page_language())


def name_de(thing: Nameable, language: str | None = None) -> str:
    """« du ministère... », « d'Aciérie... » / « of the Ministère... », « of Aciérie... »."""
    return sentence_name(thing).de(language or page_language())


def name_a(thing: Nameable, language: str | None = None) -> str:
    """« au ministère... », « à l'Autorité... » / « to the Ministère... »."""
    return sentence_name(thing).a(language or page_language())


def init_name_filters(app: Flask) -> None:
    app.add_template_filter(name_le, "name_le")
    app.add_template_filter(name_de, "name_de")
    app.add_template_filter(name_a, "name_a")
    app.add_template_filter(names.capfirst, "capfirst")
    app.add_template_filter(names.sentence, "sentence")
