"""The catalogue of ministries, services and rights, read from ``config/catalogue.toml``.

Validated when the app starts: unknown keys, duplicate keys and malformed right identifiers are
refused with the path of the offending entry.
"""

from __future__ import annotations

import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from idp.names import OrganisationName, check_article

_KEY = r"^[a-z][a-z0-9_]*$"
# A right id is its ministry key, then dot-separated lower-case segments.
_RIGHT_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9][a-z0-9_]*)+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Labelled(_Strict):
    """An entry with a French and an English label."""

    label_fr: str = Field(min_length=1)
    label_en: str = Field(min_length=1)

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_fr


class SentenceNamed(BaseModel):
    """A French and an English name, and what a sentence needs around them (``idp.names``).

    ``article_fr``: « le », « la », « l' », « les », or "" for a name without article (« Revenu
    Québec »). ``name_fr_in_sentence`` is the name as it reads after the article when that
    differs (« ministère de l'Environnement », lower case); ``the_en`` puts « the » before the
    English name. Relying-party files inherit this with an optional article; the catalogue
    requires it.
    """

    name_fr: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    article_fr: str = ""
    name_fr_in_sentence: str | None = Field(default=None, min_length=1)
    the_en: StrictBool = False

    @model_validator(mode="after")
    def _article_fits(self) -> Self:
        problem = check_article(self.name_fr_in_sentence or self.name_fr, self.article_fr)
        if problem:
            raise ValueError(f"article_fr of {self.name_fr!r}: {problem}")
        return self

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_fr

    @property
    def sentence_name(self) -> OrganisationName:
        return OrganisationName(
            fr=self.name_fr_in_sentence or self.name_fr,
            article_fr=self.article_fr,
            en=self.name_en,
            the_en=self.the_en,
        )


class _Named(_Strict, SentenceNamed):
    """A catalogue entry: its article is required so that nobody forgets it."""

    article_fr: str


class Right(_Labelled):
    id: str

    @field_validator("id")
    @classmethod
    def _well_formed(cls, value: str) -> str:
        if not _RIGHT_ID.fullmatch(value):
            raise ValueError("must look like `ministry.service.right` (lower case, digits, _)")
        return value


class Question(_Labelled):
    key: str = Field(pattern=_KEY)


class Service(_Named):
    key: str = Field(pattern=_KEY)
    rights: tuple[Right, ...] = Field(min_length=1)


class Ministry(_Named):
    key: str = Field(pattern=_KEY)
    acronym: str = Field(min_length=1)
    registration_questions: tuple[Question, ...] = ()
    services: tuple[Service, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _rights_belong_here(self) -> Ministry:
        for right in self.rights:
            if not right.id.startswith(self.key + "."):
                raise ValueError(f"right {right.id!r} must start with {self.key + '.'!r}")
        return self

    @property
    def rights(self) -> tuple[Right, ...]:
        return tuple(right for service in self.services for right in service.rights)

    @property
    def right_ids(self) -> frozenset[str]:
        return frozenset(right.id for right in self.rights)


class Catalogue(_Strict):
    ministries: tuple[Ministry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        _refuse_duplicates("ministry key", [m.key for m in self.ministries])
        _refuse_duplicates("right id", [r.id for m in self.ministries for r in m.rights])
        for ministry in self.ministries:
            _refuse_duplicates(f"service key in {ministry.key}", [s.key for s in ministry.services])
        return self

    @cached_property
    def _by_key(self) -> dict[str, Ministry]:
        return {m.key: m for m in self.ministries}

    @cached_property
    def _rights(self) -> dict[str, tuple[Ministry, Right]]:
        return {r.id: (m, r) for m in self.ministries for r in m.rights}

    def ministry(self, key: str) -> Ministry | None:
        return self._by_key.get(key)

    def right(self, right_id: str) -> Right | None:
        found = self._rights.get(right_id)
        return found[1] if found else None

    def ministry_of_right(self, right_id: str) -> Ministry | None:
        found = self._rights.get(right_id)
        return found[0] if found else None


def _refuse_duplicates(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what}: {value!r}")
        seen.add(value)


class CatalogueError(RuntimeError):
    """The catalogue file cannot be used; the message names the file and the entry."""


def load_catalogue(path: Path) -> Catalogue:
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError as exc:
        raise CatalogueError(f"catalogue file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Catalogue.model_validate(data)
    except ValueError as exc:
        raise CatalogueError(f"{path}: {exc}") from exc
