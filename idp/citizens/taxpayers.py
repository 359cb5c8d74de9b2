"""Is this person the taxpayer they say they are? One question, asked of the tax authority.

:class:`TaxpayerRegistry` is the interface enrolment uses. Two implementations:

- :class:`FileTaxpayerRegistry` reads fictional taxpayers from a TOML file shipped in
  ``config/`` (the demo and the tests);
- :class:`HttpTaxpayerRegistry` asks a verification service over HTTPS (``POST`` of the facts
  as JSON, bearer token, short timeout; the answer is ``{"match": true|false}``).

Either answers only *match* or *no match*, never which fact was wrong: the page must not tell
an impostor which of the four facts they got right.
"""

from __future__ import annotations

import hmac
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests

from idp.citizens.catalogue import normalize_answer
from idp.net import MatchServiceUnavailableError, ask_match

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaxpayerFacts:
    """What the person typed, already checked for form (never logged: see ``__repr__``)."""

    sin: str
    access_code: str
    notice_number: str
    given_name: str
    family_name: str

    def __repr__(self) -> str:
        return "TaxpayerFacts(<redacted>)"


class RegistryUnavailableError(RuntimeError):
    """The verification service did not answer, or answered something unexpected."""


class TaxpayerRegistry(Protocol):
    def matches(self, facts: TaxpayerFacts) -> bool:
        """True when the tax authority knows a taxpayer with exactly these facts."""
        ...


def _same_name(typed: str, recorded: str) -> bool:
    return normalize_answer(typed) == normalize_answer(recorded)


def _same(typed: str, recorded: str) -> bool:
    return hmac.compare_digest(typed.upper().encode(), recorded.upper().encode())


class FileTaxpayerRegistry:
    """Fictional taxpayers, ``[[taxpayers]]`` tables of a TOML file."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as file:
            data = tomllib.load(file)
        self._by_sin = {str(t["sin"]): t for t in data.get("taxpayers", [])}

    def matches(self, facts: TaxpayerFacts) -> bool:
        recorded = self._by_sin.get(facts.sin)
        if recorded is None:
            return False
        checks = [
            _same(facts.access_code, str(recorded["access_code"])),
            _same(facts.notice_number, str(recorded["notice_number"])),
            _same_name(facts.given_name, str(recorded["given_name"])),
            _same_name(facts.family_name, str(recorded["family_name"])),
        ]
        return all(checks)


class HttpTaxpayerRegistry:
    """The tax authority's verification service."""

    def __init__(self, url: str, *, token: str | None, timeout_seconds: float) -> None:
        self._url = url
        self._timeout = timeout_seconds
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def matches(self, facts: TaxpayerFacts) -> bool:
        payload = {
            "sin": facts.sin,
            "access_code": facts.access_code,
            "notice_of_assessment_number": facts.notice_number,
            "given_name": facts.given_name,
            "family_name": facts.family_name,
        }
        try:
            return ask_match(
                self._session, self._url, payload, self._timeout, "taxpayer verification service"
            )
        except MatchServiceUnavailableError as exc:
            raise RegistryUnavailableError from exc


def registry_from_settings(source: str, token: str | None, timeout: float) -> TaxpayerRegistry:
    """An ``https://`` (or loopback ``http://``) URL is the service; anything else a file."""
    if source.startswith(("https://", "http://")):
        return HttpTaxpayerRegistry(source, token=token, timeout_seconds=timeout)
    return FileTaxpayerRegistry(Path(source))
