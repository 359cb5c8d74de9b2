"""Forms of the user file pages, and the draft kept between the form and its review.

Labels and messages are lazy translations. The forms check presence and length; the rules of a
user file (email, telephone, extension) are :func:`idp.enterprises.user_files.clean_user_file`'s,
whose errors :meth:`UserFileForm.add_service_error` shows on the field they name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, RadioField, SelectChoice, StringField
from wtforms.validators import AnyOf, InputRequired, Length
from wtforms.validators import ValidationError as FieldError

from idp.accounts.models import Account, AccountRole
from idp.enterprises.user_files import CleanUserFile, UserFileData, clean_user_file
from idp.errors import ValidationError

_TOO_LONG = _l("Use at most %(max)d characters.")

# The roles a user file may be created with, in the order they are offered.
ROLE_CHOICES = (
    SelectChoice(str(AccountRole.USER), _l("User")),
    SelectChoice(str(AccountRole.ESM), _l("Electronic services manager")),
)
ROLE_VALUES = frozenset(choice.value for choice in ROLE_CHOICES)

# Values that pass clean_user_file, put in place of a field it refused so that it goes on to
# check the next fields: the person then sees every problem at once, in the service's words.
_STAND_INS = {
    "first_name": "x",
    "last_name": "x",
    "email": "person@example.com",
    "telephone": "",
    "extension": "",
}


def check_user_file(data: UserFileData) -> tuple[CleanUserFile | None, list[ValidationError]]:
    """Every error :func:`clean_user_file` finds, field by field; the clean file if none."""
    errors: list[ValidationError] = []
    while True:
        try:
            clean = clean_user_file(data)
        except ValidationError as exc:
            errors.append(exc)
            field = str(exc.details.get("field", ""))
            if field not in _STAND_INS or getattr(data, field) == _STAND_INS[field]:
                return None, errors
            data = replace(data, **{field: _STAND_INS[field]})
        else:
            return (None, errors) if errors else (clean, [])


class UserFileForm(FlaskForm):
    """The person's identity and contact details (modifying a file: no role)."""

    # autocomplete="off": the browser would fill in the ESM's own name and address.
    first_name = StringField(
        _l("First name"),
        validators=[InputRequired(_l("Enter the first name.")), Length(max=100, message=_TOO_LONG)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": "100"},
    )
    last_name = StringField(
        _l("Last name"),
        validators=[InputRequired(_l("Enter the last name.")), Length(max=100, message=_TOO_LONG)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": "100"},
    )
    email = StringField(
        _l("Email"),
        validators=[
            InputRequired(_l("Enter a valid email address, such as name@example.com.")),
            Length(max=254, message=_TOO_LONG),
        ],
        description=_l("The person receives the verification codes of each sign-in here."),
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": "254"},
    )
    telephone = StringField(
        _l("Telephone (optional)"),
        validators=[Length(max=32, message=_TOO_LONG)],
        description=_l("10 digits, such as 418 555-0123."),
        render_kw={"autocomplete": "off", "maxlength": "32"},
    )
    # No length check here: the service's message says what an extension is.
    extension = StringField(
        _l("Extension (optional)"),
        description=_l("At most 4 digits."),
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )

    cleaned: CleanUserFile | None = None

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        """The fields' own checks, then the user file rules; all errors are shown at once."""
        valid = super().validate(extra_validators)
        self.cleaned, errors = check_user_file(self.user_file_data())
        for error in errors:
            name = str(error.details.get("field", ""))
            if name in self._fields and self._fields[name].errors:
                continue  # already told, for example « Enter the first name. »
            general = self.add_service_error(error)
            if general is not None:
                self.form_errors.append(general)
        return valid and self.cleaned is not None

    def user_file_data(self) -> UserFileData:
        return UserFileData(
            first_name=self.first_name.data or "",
            last_name=self.last_name.data or "",
            email=self.email.data or "",
            telephone=self.telephone.data or "",
            extension=self.extension.data or "",
        )

    def user_file_values(self) -> dict[str, str]:
        """What was typed, to fill the form in again (after a step-up)."""
        return asdict(self.user_file_data())

    def add_service_error(self, error: ValidationError) -> str | None:
        """Show a service's error on the field it names; returns it when no field matches."""
        field = self._fields.get(str(error.details.get("field", "")))
        if field is None or field.name == "csrf_token":
            return str(error.message)
        field.errors = [*field.errors, str(error.message)]
        return None


class NewUserFileForm(UserFileForm):
    """Creating a file: the details and the role, limited to what the actor may create."""

    role = RadioField(
        _l("Role"),
        choices=list(ROLE_CHOICES),
        validate_choice=False,  # validate_role says it in our words
    )

    def limit_roles(self, roles: Iterable[AccountRole]) -> None:
        allowed = {str(role) for role in roles}
        self.role.choices = [choice for choice in ROLE_CHOICES if choice.value in allowed]

    def validate_role(self, field: Field) -> None:
        if field.data not in {choice.value for choice in self.allowed_choices}:
            raise FieldError(_l("Choose the role: user or electronic services manager."))

    @property
    def allowed_choices(self) -> list[SelectChoice]:
        return [choice for choice in self.role.choices or [] if isinstance(choice, SelectChoice)]

    @property
    def chosen_role(self) -> AccountRole:
        return AccountRole(self.role.data)


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a confirmation button (submit, suspend, reset...)."""


class DesignationForm(FlaskForm):
    """The authorized representative designates an ESM (1) or withdraws the designation (0)."""

    make_esm = HiddenField(validators=[AnyOf(["0", "1"])])


@dataclass(frozen=True)
class UserFileDraft:
    """A checked user file waiting for « Submit », kept in the session as a JSON-safe dict.

    Bound to the account that entered it: nobody else's session ever shows it.
    """

    account_id: int
    first_name: str
    last_name: str
    email: str
    telephone: str
    extension: str
    role: str

    @classmethod
    def of(cls, account_id: int, clean: CleanUserFile, role: AccountRole) -> UserFileDraft:
        return cls(
            account_id=account_id,
            first_name=clean.first_name,
            last_name=clean.last_name,
            email=clean.email,
            telephone=clean.telephone or "",
            extension=clean.extension or "",
            role=str(role),
        )

    @classmethod
    def from_session(cls, value: Any, account_id: int) -> UserFileDraft | None:
        """The draft of ``account_id``, or None when there is none (or it is malformed)."""
        if not isinstance(value, Mapping) or value.get("account_id") != account_id:
            return None
        try:
            draft = cls(**{name: value[name] for name in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None
        return draft if draft.role in ROLE_VALUES else None

    def to_session(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def account_role(self) -> AccountRole:
        return AccountRole(self.role)

    def user_file_data(self) -> UserFileData:
        return UserFileData(
            self.first_name, self.last_name, self.email, self.telephone, self.extension
        )

    def form_values(self) -> dict[str, str]:
        return {**asdict(self.user_file_data()), "role": self.role}


def user_file_values(account: Account) -> dict[str, str]:
    """The form's starting values for an existing file.

    Accounts created before first and last names were kept have only a display name: it is
    split at its first space, for the ESM to check.
    """
    first, last = account.first_name, account.last_name
    if first is None and last is None:
        first, _sep, last = account.display_name.partition(" ")
    return {
        "first_name": first or "",
        "last_name": last or "",
        "email": account.email,
        "telephone": account.telephone or "",
        "extension": account.telephone_extension or "",
    }


class EnterpriseSettingsForm(FlaskForm):
    """The authorized representative's rules for the enterprise."""

    esm_password_resets_allowed = BooleanField(
        _l("Electronic services managers may reset the password of another manager"),
        description=_l(
            "Without this, a manager may only suspend or reactivate another manager; a manager "
            "who forgot their password uses « Forgot your password? » on the sign-in page."
        ),
    )
