"""The emailed code form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Regexp


class CodeForm(FlaskForm):
    code = StringField(
        _l("Verification code"),
        validators=[
            InputRequired(_l("Enter the 6-digit code sent to you by email.")),
            Regexp(r"^\s*[0-9]{3}\s?[0-9]{3}\s*$", message=_l("The code has 6 digits.")),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "pattern": r"[0-9 ]*",
            "maxlength": "7",
        },
    )


class ResendForm(FlaskForm):
    """Only the CSRF token."""
