"""Annual air emissions reports: one per enterprise (NEQ) and year.

A report is a draft (``brouillon``) while the operator prepares it, ``transmis`` once submitted,
and ``approuve`` once a verifier approved it. Values are kept as typed until they are valid:
validation returns message keys (see :mod:`demo_rp.iqea.i18n`) per field.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from demo_rp.common.storage import Database

FIRST_YEAR = 2015
YEARS_OFFERED = 6
MAX_TONNES = Decimal("100000000")
MAX_DECIMALS = 3
MAX_ESTABLISHMENTS = 9999
NAME_MIN, NAME_MAX = 2, 150
# Spaces people type as thousands separators (regular, no-break, narrow no-break).
_SPACES = re.compile(r"[ \u00a0\u202f]")


class Status(StrEnum):
    DRAFT = "brouillon"
    SUBMITTED = "transmis"
    APPROVED = "approuve"


FIELDS = (
    "establishment_name",
    "establishment_count",
    "co2_tonnes",
    "nox_tonnes",
    "particulate_tonnes",
)
TONNE_FIELDS = ("co2_tonnes", "nox_tonnes", "particulate_tonnes")


@dataclass
class Report:
    neq: str
    enterprise_name: str
    year: int
    status: Status = Status.DRAFT
    values: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FIELDS, ""))
    updated_at: int | None = None
    updated_by_name: str | None = None
    submitted_at: int | None = None
    submitted_by_name: str | None = None
    submitted_by_sub: str | None = None
    approved_at: int | None = None
    approved_by_name: str | None = None
    approved_by_agent_name: str | None = None
    approved_by_agent_neq: str | None = None
    exists: bool = False

    @property
    def editable(self) -> bool:
        return self.status == Status.DRAFT


def offered_years(now: datetime) -> list[int]:
    """The years one may report on: the last complete ones, most recent first."""
    last = now.year - 1
    return [year for year in range(last, last - YEARS_OFFERED, -1) if year >= FIRST_YEAR]


def parse_year(raw: str | None, now: datetime) -> tuple[int | None, str | None]:
    if not raw or not raw.strip():
        return None, "error_year_required"
    try:
        year = int(raw.strip())
    except ValueError:
        return None, "error_year_invalid"
    if year not in offered_years(now):
        return None, "error_year_range"
    return year, None


# -- validation -------------------------------------------------------------------------------


def _tonnes(raw: str) -> tuple[str | None, str | None]:
    text = _SPACES.sub("", raw).replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        return None, "error_tonnes_number"
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, "error_tonnes_number"
    if value > MAX_TONNES:
        return None, "error_tonnes_too_large"
    decimals = text.partition(".")[2].rstrip("0")
    if len(decimals) > MAX_DECIMALS:
        return None, "error_tonnes_decimals"
    return _canonical(value), None


def _canonical(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def validate(form: dict[str, str], *, complete: bool) -> tuple[dict[str, str], dict[str, str]]:
    """(clean values, errors by field). ``complete``: every field is required (submission).

    A draft may leave fields empty, but what is typed must be valid.
    """
    raw = {name: (form.get(name) or "").strip() for name in FIELDS}
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, value in raw.items():
        if not value:
            clean[name] = ""
            if complete:
                errors[name] = f"error_{name}_required"
            continue
        if name == "establishment_name":
            if not NAME_MIN <= len(value) <= NAME_MAX:
                errors[name] = "error_establishment_name_length"
            clean[name] = value
        elif name == "establishment_count":
            text = _SPACES.sub("", value)
            if not text.isdigit():
                errors[name] = "error_establishment_count_number"
            elif not 1 <= int(text) <= MAX_ESTABLISHMENTS:
                errors[name] = "error_establishment_count_range"
            else:
                clean[name] = str(int(text))
        else:
            canonical, error = _tonnes(value)
            if error:
                errors[name] = error
            else:
                clean[name] = canonical or ""
    return clean, errors


# -- persistence ------------------------------------------------------------------------------


def _from_row(row: sqlite3.Row) -> Report:
    return Report(
        neq=row["neq"],
        enterprise_name=row["enterprise_name"],
        year=row["year"],
        status=Status(row["status"]),
        values={name: row[name] for name in FIELDS},
        updated_at=row["updated_at"],
        updated_by_name=row["updated_by_name"],
        submitted_at=row["submitted_at"],
        submitted_by_name=row["submitted_by_name"],
        submitted_by_sub=row["submitted_by_sub"],
        approved_at=row["approved_at"],
        approved_by_name=row["approved_by_name"],
        approved_by_agent_name=row["approved_by_agent_name"],
        approved_by_agent_neq=row["approved_by_agent_neq"],
        exists=True,
    )


class ReportStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, neq: str, year: int) -> Report | None:
        row = self.database.fetch_one(
            "SELECT * FROM reports WHERE neq = ? AND year = ?", (neq, year)
        )
        return _from_row(row) if row else None

    def for_enterprise(self, neq: str) -> list[Report]:
        rows = self.database.fetch_all(
            "SELECT * FROM reports WHERE neq = ? ORDER BY year DESC", (neq,)
        )
        return [_from_row(row) for row in rows]

    def save(
        self,
        report: Report,
        values: dict[str, str],
        *,
        by_name: str,
        by_sub: str,
        now: int,
        submit: bool,
    ) -> bool:
        """Write a draft (and submit it); False when it is no longer a draft."""
        status = Status.SUBMITTED if submit else Status.DRAFT
        columns = ", ".join(FIELDS)
        with self.database.connect() as db:
            db.execute(
                f"INSERT OR IGNORE INTO reports (neq, enterprise_name, year, status, {columns}, "  # noqa: S608 (fixed column names)
                "created_at, updated_at, updated_by_name, updated_by_sub) "
                "VALUES (?, ?, ?, 'brouillon', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.neq,
                    report.enterprise_name,
                    report.year,
                    *(values[name] for name in FIELDS),
                    now,
                    now,
                    by_name,
                    by_sub,
                ),
            )
            assignments = ", ".join(f"{name} = ?" for name in FIELDS)
            cursor = db.execute(
                f"UPDATE reports SET {assignments}, status = ?, enterprise_name = ?, "  # noqa: S608
                "updated_at = ?, updated_by_name = ?, updated_by_sub = ?, "
                "submitted_at = CASE WHEN ? THEN ? ELSE NULL END, "
                "submitted_by_name = CASE WHEN ? THEN ? ELSE NULL END, "
                "submitted_by_sub = CASE WHEN ? THEN ? ELSE NULL END "
                "WHERE neq = ? AND year = ? AND status = 'brouillon'",
                (
                    *(values[name] for name in FIELDS),
                    str(status),
                    report.enterprise_name,
                    now,
                    by_name,
                    by_sub,
                    submit,
                    now,
                    submit,
                    by_name,
                    submit,
                    by_sub,
                    report.neq,
                    report.year,
                ),
            )
        return cursor.rowcount == 1

    def approve(
        self,
        neq: str,
        year: int,
        *,
        by_name: str,
        by_sub: str,
        agent: dict[str, Any] | None,
        now: int,
    ) -> bool:
        """Approve a submitted report; False when it is not (or no longer) submitted."""
        with self.database.connect() as db:
            cursor = db.execute(
                "UPDATE reports SET status = 'approuve', approved_at = ?, approved_by_name = ?, "
                "approved_by_sub = ?, approved_by_agent_name = ?, approved_by_agent_neq = ? "
                "WHERE neq = ? AND year = ? AND status = 'transmis'",
                (
                    now,
                    by_name,
                    by_sub,
                    (agent or {}).get("name"),
                    (agent or {}).get("neq"),
                    neq,
                    year,
                ),
            )
        return cursor.rowcount == 1
