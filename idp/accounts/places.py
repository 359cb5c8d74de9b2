"""The approximate place an address is at, from a MaxMind-format GeoIP database.

« Mes sessions » shows it beside each session's address (``IDP_GEOIP_DATABASE``): a person
recognises « Montréal, Québec, Canada » more easily than 203.0.113.7. The database is a City
or a Country file (MaxMind's GeoLite2, DB-IP's lite files); it is opened once per process and
read with ``maxminddb``, whose readers are safe for concurrent reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import maxminddb

from idp.config import ConfigurationError

# The names every MaxMind-format record has; other languages fall back to it.
FALLBACK_LANGUAGE = "en"


class PlaceDatabase:
    """Names the city, region and country of an address, in the page's language."""

    def __init__(self, reader: maxminddb.Reader) -> None:
        self._reader = reader

    def place_of(self, address: str | None, language: str) -> str | None:
        """« Montréal, Québec, Canada », or None when the database knows nothing of the address.

        Private, loopback and documentation addresses are in no real database, so they come
        back None like any unknown one; they are not filtered here, so that a database of
        one's own may name them.
        """
        if not address:
            return None
        try:
            record = self._reader.get(address)
        except ValueError:
            # Not an address, or an IPv6 address asked of an IPv4-only database.
            return None
        if not isinstance(record, Mapping):
            return None
        return _place_name(record, language)


def _place_name(record: Mapping[str, Any], language: str) -> str | None:
    """City, then the broadest region, then country: the parts the record has, once each."""
    subdivisions = record.get("subdivisions") or [{}]
    parts: list[str] = []
    for entry in (record.get("city"), subdivisions[0], record.get("country")):
        name = _name_in(entry, language)
        # A city-state's city and country share a name (« Singapour, Singapour »).
        if name and name not in parts:
            parts.append(name)
    return ", ".join(parts) or None


def _name_in(entry: Any, language: str) -> str | None:
    names = entry.get("names") if isinstance(entry, Mapping) else None
    if not isinstance(names, Mapping):
        return None
    name = names.get(language) or names.get(FALLBACK_LANGUAGE)
    return name if isinstance(name, str) else None


def open_place_database(path: Path | None) -> PlaceDatabase | None:
    """The database the setting names, or None when it names none; a bad file stops start-up."""
    if path is None:
        return None
    try:
        reader = maxminddb.open_database(str(path))
    except (OSError, maxminddb.InvalidDatabaseError) as exc:
        raise ConfigurationError(
            f"IDP_GEOIP_DATABASE names {path}, which cannot be read as a MaxMind DB "
            f"(.mmdb) file: {exc}"
        ) from exc
    return PlaceDatabase(reader)
