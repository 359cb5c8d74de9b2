"""IQEA's tables in its SQLite database (``iqea.sqlite3`` in the instance directory).

Beside the sessions and used logout tokens every site has (:mod:`demo_rp.common.storage`): the
annual reports, one per enterprise NEQ and year.
"""

from __future__ import annotations

DATABASE_FILE = "iqea.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY,
    neq TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    year INTEGER NOT NULL,
    status TEXT NOT NULL,           -- brouillon, transmis, approuve
    establishment_name TEXT NOT NULL DEFAULT '',
    establishment_count TEXT NOT NULL DEFAULT '',
    co2_tonnes TEXT NOT NULL DEFAULT '',
    nox_tonnes TEXT NOT NULL DEFAULT '',
    particulate_tonnes TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by_name TEXT NOT NULL,
    updated_by_sub TEXT NOT NULL,
    submitted_at INTEGER,
    submitted_by_name TEXT,
    submitted_by_sub TEXT,
    approved_at INTEGER,
    approved_by_name TEXT,
    approved_by_sub TEXT,
    approved_by_agent_name TEXT,
    approved_by_agent_neq TEXT,
    UNIQUE (neq, year)
);
"""
