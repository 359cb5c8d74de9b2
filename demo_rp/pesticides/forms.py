"""The application form: what the citizen typed, checked; errors are text keys by field.

:func:`validate` returns an :class:`ApplicationFormResult` whose ``repr`` names the fields in
error, never what was typed (a birth date and an address are personal data). Illustrative
rules where the real service would have its own: the attestation number's format (8 digits).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from demo_rp.pesticides.applications import FIELDS, Category

# The form's fields: the application's, then the declaration (a checkbox, value "oui").
FORM_FIELDS = (*FIELDS, "declaration")
DECLARATION_CHECKED = "oui"

ADULT_AGE = 18
OLDEST_BIRTH_YEAR = 1900
STREET_LENGTH = (3, 120)
MUNICIPALITY_LENGTH = (2, 80)
# Canada Post: A1A 1A1; the letters D, F, I, O, Q and U are never used, W and Z never first.
_POSTAL_CODE = re.compile(r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\d[ABCEGHJ-NPRSTV-Z]\d")
# North American numbering plan: area code and exchange do not start with 0 or 1.
_TELEPHONE = re.compile(r"(?:\+?1)?([2-9]\d{2})([2-9]\d{2})(\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ATTESTATION = re.compile(r"\d{8}")  # illustrative format
# What people type between digits and letters: spaces (also no-break), hyphens, dots, brackets.
_SEPARATORS = re.compile(r"[\s\u00a0\u202f\-.()]")


# A field's check: (what is typed, today) -> (clean value, or what was typed; error key or None).
Check = Callable[[str, date], tuple[str, str | None]]


@dataclass(frozen=True)
class ApplicationFormResult:
    """Clean values when valid; otherwise the errors (text keys) by field."""

    values: dict[str, str] = field(repr=False)
    errors: dict[str, str]

    @property
    def valid(self) -> bool:
        return not self.errors


def _category(raw: str, _today: date) -> tuple[str, str | None]:
    if raw not in {str(category) for category in Category}:
        return raw, "error_category_invalid"
    return raw, None


def _length(name: str, bounds: tuple[int, int]) -> Check:
    low, high = bounds

    def check(raw: str, _today: date) -> tuple[str, str | None]:
        text = " ".join(raw.split())
        return text, None if low <= len(text) <= high else f"error_{name}_length"

    return check


def _postal_code(raw: str, _today: date) -> tuple[str, str | None]:
    text = _SEPARATORS.sub("", raw).upper()
    if not _POSTAL_CODE.fullmatch(text):
        return raw, "error_postal_code_format"
    return f"{text[:3]} {text[3:]}", None


def _telephone(raw: str, _today: date) -> tuple[str, str | None]:
    match = _TELEPHONE.fullmatch(_SEPARATORS.sub("", raw))
    if not match:
        return raw, "error_telephone_format"
    area, exchange, line = match.groups()
    return f"{area} {exchange}-{line}", None


def _birth_date(raw: str, today: date) -> tuple[str, str | None]:
    if not _ISO_DATE.fullmatch(raw):
        return raw, "error_birth_date_format"
    try:
        born = date.fromisoformat(raw)
    except ValueError:
        return raw, "error_birth_date_format"
    if born > today:
        return raw, "error_birth_date_future"
    if born.year < OLDEST_BIRTH_YEAR:
        return raw, "error_birth_date_too_old"
    if age_on(born, today) < ADULT_AGE:
        return raw, "error_birth_date_minor"
    return born.isoformat(), None


def _attestation_number(raw: str, _today: date) -> tuple[str, str | None]:
    text = _SEPARATORS.sub("", raw)
    if not _ATTESTATION.fullmatch(text):
        return raw, "error_attestation_number_format"
    return text, None


def age_on(born: date, today: date) -> int:
    """Full years between ``born`` and ``today`` (born on 29 February: of age on 1 March)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


_CHECKS = {
    "category": _category,
    "street_address": _length("street_address", STREET_LENGTH),
    "municipality": _length("municipality", MUNICIPALITY_LENGTH),
    "postal_code": _postal_code,
    "telephone": _telephone,
    "birth_date": _birth_date,
    "attestation_number": _attestation_number,
}


def validate(form: Mapping[str, str], today: date) -> ApplicationFormResult:
    """Every field is required; ``today`` (Québec time) decides who is of age."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, check in _CHECKS.items():
        raw = (form.get(name) or "").strip()
        if not raw:
            values[name], errors[name] = "", f"error_{name}_required"
            continue
        values[name], error = check(raw, today)
        if error:
            errors[name] = error
    if form.get("declaration") == DECLARATION_CHECKED:
        values["declaration"] = DECLARATION_CHECKED
    else:
        values["declaration"], errors["declaration"] = "", "error_declaration_required"
    return ApplicationFormResult(values, errors)
