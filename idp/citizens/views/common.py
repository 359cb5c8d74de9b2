"""What the citizens' pages share: the blueprint, the session keys, field errors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from idp.citizens.signin import CODE_ONLY_SESSION_KEY
from idp.errors import IdpError

bp = Blueprint("citizens", __name__, url_prefix="/citoyens")

SIGNIN_KEY = "citizen_signin"
ENROLMENT_KEY = "citizen_enrolment"
NEXT_KEY = "next"
# Kept with the service so the code page (idp.mfa.views) reads the same key.
CODE_ONLY_KEY = CODE_ONLY_SESSION_KEY


def field_error(form: Any, exc: IdpError, default_field: str) -> None:
    """Show a service's refusal under the field it names."""
    field = getattr(form, str(exc.details.get("field") or default_field))
    field.errors = [*field.errors, str(exc.message)]


def link_invalid(exc: IdpError, status: int = 404) -> tuple[str, int]:
    """An emailed link that cannot be used (used, replaced, expired): say so, with a way on."""
    return render_template("citizens/link_invalid.html", message=str(exc.message)), status
