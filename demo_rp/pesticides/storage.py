"""The site's tables in its SQLite database (``pesticides.sqlite3`` in the instance directory).

Beside the sessions and used logout tokens every site has (:mod:`demo_rp.common.storage`): the
applications, each with the ``sub`` of the citizen who submitted it.
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
    id INTEGER PRIMARY KEY,
    number TEXT UNIQUE,             -- PC-2026-000123, set in the transaction that inserts
    sub TEXT NOT NULL,              -- the citizen (pairwise subject at the MELCCFP)
    applicant_name TEXT NOT NULL,   -- as the provider said at submission
    applicant_email TEXT,
    category TEXT NOT NULL,         -- farm, woodlot, property
    street_address TEXT NOT NULL,
    municipality TEXT NOT NULL,
    postal_code TEXT NOT NULL,      -- A1A 1A1
    telephone TEXT NOT NULL,        -- 514 555-1234
    birth_date TEXT NOT NULL,       -- ISO 8601
    attestation_number TEXT NOT NULL,
    status TEXT NOT NULL,           -- submitted
    submitted_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS applications_sub ON applications (sub, submitted_at);
"""
