"""Applications for a pesticide use certificate: what a citizen submits, and where it is kept.

An application belongs to the citizen who submitted it, known by their ``sub`` (pairwise at the
MELCCFP); its confirmation number (``PC-2026-000123``) is made when it is stored. The
ministry's processing after that (review, certificate issued or refused) happens in its own
systems, not in this demo: here an application is ``submitted``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from demo_rp.common.site import QUEBEC
from demo_rp.common.storage import Database

NUMBER_PREFIX = "PC"


class Category(StrEnum):
    """The certificate categories offered.

    Illustrative: the regulation on pesticide permits and certificates has its own list and
    names; these three say who this citizen service is for.
    """

    FARM = "farm"  # agricultural application on one's own farm
    WOODLOT = "woodlot"  # a forest producer, on their own woodlot
    PROPERTY = "property"  # on one's own (non-agricultural) property


class Status(StrEnum):
    SUBMITTED = "submitted"


# What the applicant gives, in the order of the form.
FIELDS = (
    "category",
    "street_address",
    "municipality",
    "postal_code",
    "telephone",
    "birth_date",
    "attestation_number",
)


@dataclass(frozen=True)
class Application:
    number: str
    sub: str
    applicant_name: str
    applicant_email: str | None
    category: Category
    street_address: str
    municipality: str
    postal_code: str
    telephone: str
    birth_date: str  # ISO 8601
    attestation_number: str
    status: Status
    submitted_at: int

    @property
    def values(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in FIELDS}


def confirmation_number(submitted: datetime, row_id: int) -> str:
    """``PC-<year of submission, Québec time>-<row number on six digits>``."""
    return f"{NUMBER_PREFIX}-{submitted.astimezone(QUEBEC).year}-{row_id:06d}"


def _from_row(row: sqlite3.Row) -> Application:
    return Application(
        number=row["number"],
        sub=row["sub"],
        applicant_name=row["applicant_name"],
        applicant_email=row["applicant_email"],
        category=Category(row["category"]),
        street_address=row["street_address"],
        municipality=row["municipality"],
        postal_code=row["postal_code"],
        telephone=row["telephone"],
        birth_date=row["birth_date"],
        attestation_number=row["attestation_number"],
        status=Status(row["status"]),
        submitted_at=row["submitted_at"],
    )


class ApplicationStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def submit(
        self,
        sub: str,
        *,
        applicant_name: str,
        applicant_email: str | None,
        values: dict[str, str],
        now: datetime,
    ) -> Application:
        """Store a validated application and give it its confirmation number."""
        columns = ", ".join(FIELDS)
        placeholders = ", ".join("?" for _ in FIELDS)
        with self.database.connect() as db:
            cursor = db.execute(
                f"INSERT INTO applications (sub, applicant_name, applicant_email, {columns}, "  # noqa: S608 (fixed column names)
                f"status, submitted_at) VALUES (?, ?, ?, {placeholders}, ?, ?)",
                (
                    sub,
                    applicant_name,
                    applicant_email,
                    *(values[name] for name in FIELDS),
                    str(Status.SUBMITTED),
                    int(now.timestamp()),
                ),
            )
            row_id = int(cursor.lastrowid or 0)
            number = confirmation_number(now, row_id)
            db.execute("UPDATE applications SET number = ? WHERE id = ?", (number, row_id))
            row = db.execute("SELECT * FROM applications WHERE id = ?", (row_id,)).fetchone()
        return _from_row(row)

    def for_person(self, sub: str) -> list[Application]:
        """The citizen's applications, the latest first."""
        rows = self.database.fetch_all(
            "SELECT * FROM applications WHERE sub = ? ORDER BY submitted_at DESC, id DESC", (sub,)
        )
        return [_from_row(row) for row in rows]

    def get(self, number: str, sub: str) -> Application | None:
        """The application ``number`` if it is this citizen's (another's is not found)."""
        row = self.database.fetch_one(
            "SELECT * FROM applications WHERE number = ? AND sub = ?", (number, sub)
        )
        return _from_row(row) if row else None
