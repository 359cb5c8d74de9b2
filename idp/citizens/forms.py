"""Forms of the citizens' portal. Labels and messages are lazy translations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from idp.accounts.forms import ChangePasswordForm
from idp.citizens import catalogue
from idp.web.i18n import page_language

_NO_SPELLCHECK = {"spellcheck": "false", "autocapitalize": "off"}


class UserCodeForm(FlaskForm):
    user_code = StringField(
        _l("User code"),
        validators=[InputRequired(_l("Enter your user code.")), Length(max=64)],
        description=_l("For example 4827-KXMP. It was given to you when you created your account."),
        render_kw={
            "autocomplete": "username",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )
    public_computer = BooleanField(
        _l("I am using a public or shared computer"),
        description=_l(
            "You will be signed out sooner and nothing is kept after you close the browser."
        ),
    )


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class AnswerForm(FlaskForm):
    answer = StringField(
        _l("Your answer"),
        validators=[InputRequired(_l("Enter your answer.")), Length(max=200)],
        description=_l("Capitals, accents and punctuation do not matter."),
        render_kw={"autocomplete": "off", **_NO_SPELLCHECK},
    )


class IdentityForm(FlaskForm):
    sin = StringField(
        _l("Social insurance number"),
        validators=[InputRequired(_l("Enter your social insurance number.")), Length(max=20)],
        description=_l("9 digits, as on your card or your tax documents."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", **_NO_SPELLCHECK},
    )
    access_code = StringField(
        _l("Revenu Québec access code"),
        validators=[InputRequired(_l("Enter your Revenu Québec access code.")), Length(max=20)],
        description=_l(
            "6 digits, given each year by Revenu Québec to a person who files an income tax return."
        ),
        render_kw={"inputmode": "numeric", "autocomplete": "off", **_NO_SPELLCHECK},
    )
    notice_number = StringField(
        _l("Number of your last notice of assessment"),
        validators=[
            InputRequired(_l("Enter the number of your last notice of assessment.")),
            Length(max=30),
        ],
        description=_l(
            "11 letters or digits, printed on the notice of assessment Revenu Québec sent you "
            "for your last income tax return."
        ),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    given_name = StringField(
        _l("First name"),
        validators=[InputRequired(_l("Enter your first name.")), Length(max=100)],
        description=_l("As on your income tax return."),
        render_kw={"autocomplete": "given-name"},
    )
    family_name = StringField(
        _l("Last name"),
        validators=[InputRequired(_l("Enter your last name.")), Length(max=100)],
        render_kw={"autocomplete": "family-name"},
    )
    email = StringField(
        _l("Email address"),
        validators=[InputRequired(_l("Enter your email address.")), Length(max=254)],
        description=_l(
            "A link to activate the account will be sent there, then a code at each sign-in."
        ),
        render_kw={"autocomplete": "email", "type": "email", **_NO_SPELLCHECK},
    )


def _image_choices() -> list[tuple[str, str]]:
    language = page_language()
    return [(choice.key, choice.label(language)) for choice in catalogue.IMAGES]


class ImageForm(FlaskForm):
    image = RadioField(
        _l("Your image"),
        validators=[InputRequired(_l("Choose one of the images."))],
        validate_choice=False,  # checked by the service, with its own message
    )
    phrase = StringField(
        _l("Your personal phrase"),
        validators=[InputRequired(_l("Write a personal phrase.")), Length(max=200)],
        description=_l(
            "A short sentence only you would write, such as « Le chat de ma tante aime la "
            "tire ». Never your password."
        ),
        render_kw={"autocomplete": "off"},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.image.choices = _image_choices()


def _question_choices() -> list[tuple[str, str]]:
    language = page_language()
    return [("", _l("Choose a question"))] + [
        (choice.key, choice.label(language)) for choice in catalogue.QUESTIONS
    ]


def _question_field() -> SelectField:
    # The fieldset's legend says « Question N »; the fields say what each one holds.
    return SelectField(
        _l("Question to ask"),
        validators=[InputRequired(_l("Choose a question."))],
        validate_choice=False,
    )


def _answer_field() -> StringField:
    return StringField(
        _l("Its answer"),
        validators=[InputRequired(_l("Write an answer.")), Length(max=200)],
        render_kw={"autocomplete": "off", **_NO_SPELLCHECK},
    )


class QuestionsForm(FlaskForm):
    question_1 = _question_field()
    answer_1 = _answer_field()
    question_2 = _question_field()
    answer_2 = _answer_field()
    question_3 = _question_field()
    answer_3 = _answer_field()
    question_4 = _question_field()
    answer_4 = _answer_field()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for number in range(1, catalogue.QUESTIONS_PER_ACCOUNT + 1):
            getattr(self, f"question_{number}").choices = _question_choices()

    def pairs(self) -> list[tuple[str, str]]:
        return [
            (
                getattr(self, f"question_{n}").data or "",
                getattr(self, f"answer_{n}").data or "",
            )
            for n in range(1, catalogue.QUESTIONS_PER_ACCOUNT + 1)
        ]

    def rows(self) -> list[tuple[SelectField, StringField]]:
        return [
            (getattr(self, f"question_{n}"), getattr(self, f"answer_{n}"))
            for n in range(1, catalogue.QUESTIONS_PER_ACCOUNT + 1)
        ]


class NewPasswordForm(FlaskForm):
    new_password = ChangePasswordForm.new_password
    confirm_password = PasswordField(
        _l("Confirm the password"),
        validators=[
            InputRequired(_l("Enter the password again.")),
            EqualTo("new_password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class EmailForm(FlaskForm):
    email = StringField(
        _l("New email address"),
        validators=[InputRequired(_l("Enter your email address.")), Length(max=254)],
        description=_l("A link will be sent there; your address changes when you open it."),
        render_kw={"autocomplete": "email", "type": "email", **_NO_SPELLCHECK},
    )


class CloseAccountForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    understood = BooleanField(
        _l("I understand that the account cannot be reopened"),
        validators=[InputRequired(_l("Tick the box to confirm."))],
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the button confirms."""
