"""Two languages, French first: the page's language is kept in the session.

Templates write each text in both languages, ``t("…", "…")``, so that no text exists in one
language only; dates, times and amounts follow each language's usage (Québec time).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import session

LANGUAGES = ("fr", "en")
QUEBEC = ZoneInfo("America/Montreal")
NBSP = "\u00a0"


def current() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "fr"


def t(fr: str, en: str) -> str:
    return en if current() == "en" else fr


def format_date(value: date) -> str:
    if current() == "en":
        return babel_dates.format_date(value, "MMMM d, y", locale="en_CA")
    # Babel gives the month names; « 1er » is the French rule for the first of the month.
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {babel_dates.format_date(value, 'MMMM y', locale='fr_CA')}"


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
