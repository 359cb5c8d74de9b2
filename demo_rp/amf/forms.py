"""The forms of the functional blocks: their choices and their checks (messages in both languages).

CSRF tokens are checked before these run (Flask-WTF's ``CSRFProtect``, for every POST).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from demo_rp.amf.blocks import Text

FEES = {
    "annual": Text("Cotisation annuelle", "Annual fee"),
    "registration": Text("Droits d'inscription", "Registration fees"),
    "filing": Text("Frais de dépôt de documents", "Document filing fees"),
    "late": Text("Frais de retard", "Late filing fees"),
}

DISCLOSURES = {
    "conflict": Text(
        "Divulgation de conflits d'intérêts importants",
        "Disclosure of material conflicts of interest",
    ),
    "related_issuer": Text(
        "Divulgation relative à un émetteur relié ou associé",
        "Disclosure about a related or connected issuer",
    ),
    "change_notice": Text(
        "Avis de modification des renseignements de la firme",
        "Notice of change to the firm's information",
    ),
    "outside_activity": Text(
        "Avis d'activités externes d'une personne physique inscrite",
        "Notice of outside activities of a registered individual",
    ),
}

MAX_AMOUNT = Decimal("1000000.00")
SUBJECT_MAX = 150
DESCRIPTION_MAX = 4000
INVOICE = re.compile(r"[A-Za-z0-9-]{1,30}")


@dataclass
class Checked:
    values: dict[str, Any] = field(default_factory=dict)
    # field name → message
    errors: dict[str, Text] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(form: Any, name: str) -> str:
    return str(form.get(name, "")).strip()


def parse_amount(raw: str) -> Decimal | None:
    """« 1 234,56 », « 1234.56 », « 1,234.56 $ »: an amount in dollars, or None."""
    cleaned = raw.replace("$", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"\d{1,7}(\.\d{1,2})?", cleaned):
        return None
    try:
        return Decimal(cleaned).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def check_payment(form: Any) -> Checked:
    checked = Checked()
    fee = _text(form, "fee")
    if fee not in FEES:
        checked.errors["fee"] = Text("Choisissez le type de paiement.", "Choose the payment type.")
    checked.values["fee"] = fee
    raw_amount = _text(form, "amount")
    amount = parse_amount(raw_amount)
    if amount is None or amount <= 0 or amount > MAX_AMOUNT:
        checked.errors["amount"] = Text(
            "Inscrivez un montant en dollars entre 0,01 $ et 1 000 000,00 $, par exemple 1 250,00.",
            "Enter an amount in dollars between $0.01 and $1,000,000.00, for example 1,250.00.",
        )
        checked.values["amount"] = raw_amount
    else:
        checked.values["amount"] = str(amount)
    invoice = _text(form, "invoice")
    if invoice and not INVOICE.fullmatch(invoice):
        checked.errors["invoice"] = Text(
            "Le numéro de facture compte au plus 30 lettres, chiffres ou traits d'union.",
            "The invoice number has at most 30 letters, digits or hyphens.",
        )
    checked.values["invoice"] = invoice
    return checked


def _subject_and_description(form: Any, checked: Checked) -> None:
    subject = _text(form, "subject")
    if not subject or len(subject) > SUBJECT_MAX:
        checked.errors["subject"] = Text(
            f"Inscrivez l'objet (au plus {SUBJECT_MAX} caractères).",
            f"Enter the subject (at most {SUBJECT_MAX} characters).",
        )
    description = _text(form, "description")
    if not description or len(description) > DESCRIPTION_MAX:
        checked.errors["description"] = Text(
            f"Inscrivez la description (au plus {DESCRIPTION_MAX} caractères).",
            f"Enter the description (at most {DESCRIPTION_MAX} characters).",
        )
    checked.values["subject"] = subject
    checked.values["description"] = description


def check_disclosure(form: Any) -> Checked:
    checked = Checked()
    kind = _text(form, "disclosure_type")
    if kind not in DISCLOSURES:
        checked.errors["disclosure_type"] = Text(
            "Choisissez le type de divulgation ou d'avis.", "Choose the disclosure or notice type."
        )
    checked.values["disclosure_type"] = kind
    _subject_and_description(form, checked)
    if form.get("attest") != "yes":
        checked.errors["attest"] = Text(
            "Attestez l'exactitude des renseignements pour transmettre.",
            "Attest that the information is accurate to submit it.",
        )
    return checked


def check_request(form: Any) -> Checked:
    checked = Checked()
    _subject_and_description(form, checked)
    return checked
