"""Forms of the enterprise registration pages and of the provider operator console.

The forms check presence and length; the rules (NEQ, telephone, email) are the services'
(:mod:`idp.enterprises.onboarding`), whose errors the views show on the field they name.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from idp.enterprises.lifecycle import REASON_MAX
from idp.enterprises.models import LegalForm

_TOO_LONG = _l("Use at most %(max)d characters.")

# The Québec legal forms, in the order the enterprise register lists them.
LEGAL_FORM_LABELS = {
    LegalForm.BUSINESS_CORPORATION: _l("Business corporation (company, « inc. »)"),
    LegalForm.GENERAL_PARTNERSHIP: _l("General partnership"),
    LegalForm.LIMITED_PARTNERSHIP: _l("Limited partnership"),
    LegalForm.SOLE_PROPRIETORSHIP: _l("Sole proprietorship"),
    LegalForm.NON_PROFIT: _l("Non-profit legal person"),
    LegalForm.COOPERATIVE: _l("Cooperative"),
    LegalForm.OTHER_LEGAL_PERSON: _l("Other legal person"),
}


def legal_form_label(value: str | None) -> str:
    label = LEGAL_FORM_LABELS.get(LegalForm(value)) if value in set(LegalForm) else None
    return str(label) if label else "—"


class EnterpriseForm(FlaskForm):
    """Step 1: the enterprise as the enterprise register knows it."""

    neq = StringField(
        _l("Québec enterprise number (NEQ)"),
        validators=[InputRequired(_l("Enter the NEQ: 10 digits.")), Length(max=20)],
        description=_l("10 digits, on the enterprise's documents from the enterprise register."),
        render_kw={"autocomplete": "off", "inputmode": "numeric", "maxlength": "20"},
    )
    legal_name = StringField(
        _l("Legal name"),
        validators=[
            InputRequired(_l("Enter the enterprise's legal name.")),
            Length(max=200, message=_TOO_LONG),
        ],
        description=_l("Exactly as registered, with « inc. » or « ltée » if it has one."),
        render_kw={"autocomplete": "organization", "maxlength": "200"},
    )
    legal_form = SelectField(
        _l("Legal form"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(str(value), label) for value, label in LEGAL_FORM_LABELS.items()],
        validators=[InputRequired(_l("Choose the enterprise's legal form."))],
    )


class RepresentativeForm(FlaskForm):
    """Step 2: the authorized representative, who will receive the first user code."""

    first_name = StringField(
        _l("First name"),
        validators=[InputRequired(_l("Enter the first name.")), Length(max=100, message=_TOO_LONG)],
        render_kw={"autocomplete": "given-name", "maxlength": "100"},
    )
    last_name = StringField(
        _l("Last name"),
        validators=[InputRequired(_l("Enter the last name.")), Length(max=100, message=_TOO_LONG)],
        render_kw={"autocomplete": "family-name", "maxlength": "100"},
    )
    position = StringField(
        _l("Position in the enterprise"),
        validators=[
            InputRequired(_l("Enter the representative's position.")),
            Length(max=100, message=_TOO_LONG),
        ],
        description=_l("For example: president, owner, partner, treasurer."),
        render_kw={"autocomplete": "organization-title", "maxlength": "100"},
    )
    email = StringField(
        _l("Email"),
        validators=[
            InputRequired(_l("Enter a valid email address, such as name@example.com.")),
            Length(max=254, message=_TOO_LONG),
        ],
        description=_l("The user code and the verification codes of each sign-in are sent here."),
        render_kw={"autocomplete": "email", "spellcheck": "false", "maxlength": "254"},
    )
    telephone = StringField(
        _l("Telephone"),
        validators=[
            InputRequired(_l("Enter a telephone number of 10 digits, such as 418 555-0123.")),
            Length(max=32, message=_TOO_LONG),
        ],
        description=_l(
            "10 digits, such as 418 555-0123. The temporary password is given at this number."
        ),
        render_kw={"autocomplete": "tel", "maxlength": "32"},
    )
    extension = StringField(
        _l("Extension (optional)"),
        description=_l("At most 4 digits."),
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )


class SubmitApplicationForm(FlaskForm):
    """Step 3: the conditions of use acknowledged, then « Submit »."""

    accept_conditions = BooleanField(
        _l(
            "I am authorized to act for this enterprise, and I have read and accept the "
            "conditions of use of clicSÉQUR"
        ),
        validators=[InputRequired(_l("Tick the box to accept the conditions of use."))],
    )


class ConfirmDecisionForm(FlaskForm):
    """Only the CSRF token: the button decides (activate, reactivate)."""


class ReasonDecisionForm(FlaskForm):
    """Refuse or suspend: the reason, sent to the enterprise."""

    reason = TextAreaField(
        _l("Reason"),
        description=_l("Required. It is sent to the enterprise by email and kept in its file."),
        validators=[
            InputRequired(_l("Write the reason: it is sent to the enterprise.")),
            Length(max=REASON_MAX, message=_TOO_LONG),
        ],
        render_kw={"rows": 4, "maxlength": str(REASON_MAX)},
    )


class CancelDecisionForm(ReasonDecisionForm):
    """Cancel: the reason, and a box saying it is final."""

    understood = BooleanField(
        _l("I understand that the cancellation is final: the enterprise cannot be reactivated"),
        validators=[InputRequired(_l("Tick the box to confirm."))],
    )
