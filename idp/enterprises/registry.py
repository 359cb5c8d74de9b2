"""Does this enterprise exist as described? One question, asked of the enterprise register.

:class:`EnterpriseRegistry` is the interface onboarding uses (it mirrors
:mod:`idp.citizens.taxpayers`). Two implementations:

- :class:`FileEnterpriseRegistry` reads fictional enterprises from a TOML file shipped in
  ``config/`` (the demo and the tests; refused in production);
- :class:`HttpEnterpriseRegistry` asks the register's verification service over HTTPS (``POST``
  of the facts as JSON, bearer token, short timeout; the answer is ``{"match": true|false}``).

Either answers only *match* or *no match*, never which fact was wrong: the page must not tell
someone fishing for an enterprise's details which of them they got right.
"""

from __future__ import annotations

import hmac
import logging
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests

from idp.net import MatchServiceUnavailableError, ask_match

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnterpriseFacts:
    """What the applicant typed, already checked for form."""

    neq: str
    legal_name: str
    legal_form: str


class EnterpriseRegistryUnavailableError(RuntimeError):
    """The register's service did not answer, or answered something unexpected."""


class EnterpriseRegistry(Protocol):
    def matches(self, facts: EnterpriseFacts) -> bool:
        """True when the register holds an enterprise with exactly these facts."""
        ...


def normalize_name(name: str) -> str:
    """A legal name as compared: no case, no accents, single spaces (« Boréale  INC. » is
    « boreale inc. »)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _same(typed: str, recorded: str) -> bool:
    return hmac.compare_digest(typed.encode(), recorded.encode())


class FileEnterpriseRegistry:
    """Fictional enterprises, ``[[enterprises]]`` tables of a TOML file."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as file:
            data = tomllib.load(file)
        self._by_neq = {str(e["neq"]): e for e in data.get("enterprises", [])}

    def matches(self, facts: EnterpriseFacts) -> bool:
        recorded = self._by_neq.get(facts.neq)
        if recorded is None:
            return False
        checks = [
            _same(normalize_name(facts.legal_name), normalize_name(str(recorded["legal_name"]))),
            _same(facts.legal_form, str(recorded["legal_form"])),
        ]
        return all(checks)


class HttpEnterpriseRegistry:
    """The enterprise register's verification service."""

    def __init__(self, url: str, *, token: str | None, timeout_seconds: float) -> None:
        self._url = url
        self._timeout = timeout_seconds
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def matches(self, facts: EnterpriseFacts) -> bool:
        payload = {"neq": facts.neq, "legal_name": facts.legal_name, "legal_form": facts.legal_form}
        try:
            return ask_match(
                self._session, self._url, payload, self._timeout, "enterprise register"
            )
        except MatchServiceUnavailableError as exc:
            raise EnterpriseRegistryUnavailableError from exc


def registry_from_settings(source: str, token: str | None, timeout: float) -> EnterpriseRegistry:
    """An ``https://`` (or loopback ``http://``) URL is the service; anything else a file."""
    if source.startswith(("https://", "http://")):
        return HttpEnterpriseRegistry(source, token=token, timeout_seconds=timeout)
    return FileEnterpriseRegistry(Path(source))
