"""Forms of the registration pages: the ministry's questions, and the operator's decision.

Labels and messages are lazy translations, except the questions, which come from the catalogue
in both languages.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from idp.ministries.catalogue import Ministry

ANSWER_MAX_LENGTH = 200
REASON_MAX_LENGTH = 1000
# Field names are prefixed so that a question key can never shadow a form attribute (`data`,
# `errors`, `meta`...).
_ANSWER_PREFIX = "answer_"


def answer_field_name(question_key: str) -> str:
    return _ANSWER_PREFIX + question_key


class RegistrationForm(FlaskForm):
    """One required text field per question of the ministry; see :func:`registration_form`."""

    question_keys: ClassVar[tuple[str, ...]] = ()

    def answers(self) -> dict[str, str]:
        """The answers keyed by question key, as the service expects them."""
        return {key: self[answer_field_name(key)].data or "" for key in self.question_keys}

    def answer_field(self, question_key: str) -> Any:
        return self[answer_field_name(question_key)]


def registration_form(ministry: Ministry, language: str, **kwargs: Any) -> RegistrationForm:
    """A form asking the ministry's registration questions, labelled in ``language``."""
    fields: dict[str, Any] = {}
    for question in ministry.registration_questions:
        label = question.label(language)
        fields[answer_field_name(question.key)] = StringField(
            label,
            validators=[
                InputRequired(_l("Answer the question: %(question)s", question=label)),
                Length(
                    max=ANSWER_MAX_LENGTH,
                    message=_l("Keep the answer to %(max)d characters or fewer."),
                ),
            ],
        )
    keys = tuple(q.key for q in ministry.registration_questions)
    form_class = type(
        "MinistryRegistrationForm", (RegistrationForm,), {**fields, "question_keys": keys}
    )
    form: RegistrationForm = form_class(**kwargs)
    return form


class DecisionForm(FlaskForm):
    """The operator's decision on one pending registration."""

    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("activate", _l("Activate the registration")),
            SelectChoice("refuse", _l("Refuse the registration")),
        ],
        validators=[InputRequired(_l("Choose to activate or to refuse the registration."))],
    )
    reason = TextAreaField(
        _l("Reason for the refusal"),
        description=_l(
            "Required to refuse. The enterprise's electronic services managers will read it "
            "in their messages."
        ),
        validators=[
            Length(
                max=REASON_MAX_LENGTH,
                message=_l("Keep the reason to %(max)d characters or fewer."),
            )
        ],
        render_kw={"rows": 3},
    )

    @classmethod
    def for_registration(cls, registration_id: int, **kwargs: Any) -> DecisionForm:
        """A form whose field ids are unique on a page listing several registrations."""
        form = cls(**kwargs)
        form.decision.id = f"decision-{registration_id}"
        form.reason.id = f"reason-{registration_id}"
        return form

    @property
    def activate(self) -> bool:
        return self.decision.data == "activate"


class WithdrawalForm(FlaskForm):
    """The ministry's operator withdraws an active registration, and says why."""

    reason = TextAreaField(
        _l("Reason for the withdrawal"),
        description=_l(
            "The enterprise's electronic services managers will read it in their messages."
        ),
        validators=[
            InputRequired(_l("Give the reason for the withdrawal.")),
            Length(
                max=REASON_MAX_LENGTH,
                message=_l("Keep the reason to %(max)d characters or fewer."),
            ),
        ],
        render_kw={"rows": 4},
    )


class CancellationForm(FlaskForm):
    """The ESM confirms ending the enterprise's registration at a ministry (CSRF only)."""
