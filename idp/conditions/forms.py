"""The conditions page's form: only the CSRF token; the answer is the button pressed."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm

ACCEPT = "accept"
DECLINE = "decline"


class ConditionsForm(FlaskForm):
    """« J'accepte » or « Je refuse »."""

    @property
    def decision(self) -> str | None:
        """The button pressed; None for anything else (a forged value is no answer)."""
        value = request.form.get("decision")
        return value if value in (ACCEPT, DECLINE) else None
