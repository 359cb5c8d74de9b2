"""Two languages, French first: the page's language is kept in the session.

Templates write each text in both languages, ``t("…", "…")``, so that no text exists in one
language only; dates, times and amounts follow each language's usage (Québec time).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import session

LANGUAGES = ("fr", "en")
QUEBEC = ZoneInfo("America/Montreal")
NBSP = "\u00a0"

_MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def current() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "fr"


def t(fr: str, en: str) -> str:
    return en if current() == "en" else fr


def format_date(value: date) -> str:
    if current() == "en":
        return f"{_MONTHS_EN[value.month - 1]} {value.day}, {value.year}"
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {_MONTHS_FR[value.month - 1]} {value.year}"


def format_datetime(value: datetime) -> str:
    local = value.astimezone(QUEBEC)
    if current() == "en":
        hour = local.hour % 12 or 12
        suffix = "a.m." if local.hour < 12 else "p.m."
        return f"{format_date(local.date())}, {hour}:{local.minute:02d} {suffix}"
    return f"{format_date(local.date())} à {local.hour} h {local.minute:02d}"


def format_amount(value: Decimal | str) -> str:
    amount = Decimal(value).quantize(Decimal("0.01"))
    whole, cents = f"{amount:,.2f}".split(".")
    if current() == "en":
        return f"${whole}.{cents}"
    return f"{whole.replace(',', NBSP)},{cents}{NBSP}$"
