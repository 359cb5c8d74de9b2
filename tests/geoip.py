"""A tiny real GeoIP database for the tests: a MaxMind DB file written with mmdb-writer, with
records shaped as in GeoLite2-City, on the documentation ranges of RFC 5737."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

MONTREAL = "203.0.113.7"
BOSTON = "198.51.100.20"
# In no network of the test database (the third documentation range).
NOWHERE = "192.0.2.55"

# Boston has no French names, as many small places have not in the real files.
CITY_RECORDS: dict[str, dict[str, Any]] = {
    "203.0.113.0/24": {
        "city": {"names": {"en": "Montreal", "fr": "Montréal"}},
        "subdivisions": [{"iso_code": "QC", "names": {"en": "Quebec", "fr": "Québec"}}],
        "country": {"iso_code": "CA", "names": {"en": "Canada", "fr": "Canada"}},
    },
    "198.51.100.0/24": {
        "city": {"names": {"en": "Boston"}},
        "subdivisions": [{"iso_code": "MA", "names": {"en": "Massachusetts"}}],
        "country": {"iso_code": "US", "names": {"en": "United States", "fr": "États-Unis"}},
    },
}


def write_city_database(
    path: Path, records: dict[str, dict[str, Any]] = CITY_RECORDS, *, ip_version: int = 6
) -> Path:
    """By default an IPv6 database holding IPv4 too, as GeoLite2's are; one record per network."""
    writer = MMDBWriter(
        ip_version=ip_version,
        ipv4_compatible=ip_version == 6,
        database_type="IdP-Test-City",
        languages=["en", "fr"],
        description="Identity provider tests",
    )
    for network, record in records.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path
