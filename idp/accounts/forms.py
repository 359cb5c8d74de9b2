"""Forms of the sign-in and password pages. Labels and messages are lazy translations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, Regexp


class SignInForm(FlaskForm):
    user_code = StringField(
        _l("User code"),
        validators=[InputRequired(_l("Enter your user code.")), Length(max=64)],
        description=_l(
            "For example KXMP-4827. It is on the acknowledgement given by your "
            "electronic services manager."
        ),
        render_kw={
            "autocomplete": "username",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    public_computer = BooleanField(
        _l("I am using a public or shared computer"),
        description=_l(
            "You will be signed out sooner and nothing is kept after you close the browser."
        ),
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Enter a new password.")), Length(max=1024)],
        description=_l(
            "At least 12 characters. A phrase of a few words you will remember is "
            "a good choice. Avoid common passwords and your own name."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("Confirm the new password"),
        validators=[
            InputRequired(_l("Enter the new password again.")),
            EqualTo("new_password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class SignOutForm(FlaskForm):
    """Only the CSRF token: signing out is a POST so no other site can trigger it."""


# -- recovery: the pages reached from « Forgot your password? » and « Forgot your user code? »

_EMAIL_FIELD = StringField(
    _l("Email address"),
    validators=[
        InputRequired(_l("Enter the email address of your account.")),
        Length(max=254),
        Email(_l("Enter a valid email address, such as name@example.com.")),
    ],
    render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "off"},
)


class ForgotPasswordForm(FlaskForm):
    user_code = StringField(
        _l("User code"),
        validators=[InputRequired(_l("Enter your user code.")), Length(max=64)],
        description=_l("Forgot it too? Ask for your user code first."),
        render_kw={
            "autocomplete": "username",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )
    email = _EMAIL_FIELD


class ForgotUserCodeForm(FlaskForm):
    email = _EMAIL_FIELD


class EnterpriseForgotUserCodeForm(ForgotUserCodeForm):
    neq = StringField(
        _l("Québec enterprise number (NEQ), optional"),
        validators=[
            Optional(),
            Regexp(r"^\s*\d{10}\s*$", message=_l("The NEQ has 10 digits.")),
        ],
        description=_l("Only the user codes of this enterprise will be sent."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )


class ResetPasswordForm(FlaskForm):
    """The new password, under the change-password form's fields and rules."""

    new_password = ChangePasswordForm.new_password
    confirm_password = ChangePasswordForm.confirm_password


class CitizenResetPasswordForm(FlaskForm):
    """A citizen answers the link's security question, then chooses the new password."""

    answer = StringField(
        _l("Your answer"),
        validators=[InputRequired(_l("Enter your answer.")), Length(max=200)],
        description=_l("Capitals, accents and punctuation do not matter."),
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"},
    )
    new_password = ChangePasswordForm.new_password
    confirm_password = ChangePasswordForm.confirm_password
