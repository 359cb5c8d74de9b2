"""Forms of the proxy pages. Labels and messages are lazy translations.

The proxy form is built per request: one « grant » radio group and one group of right checkboxes
for each ministry where the enterprise is active. A valid form becomes a JSON-safe draft kept in
the session until the review page submits it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation

from idp.enterprises.models import Enterprise
from idp.errors import ValidationError
from idp.ministries.catalogue import Ministry
from idp.proxies.models import ProxyKind
from idp.proxies.services import MinistryGrant
from idp.proxies.validity import check_end_date, latest_end

DESCRIPTION_MAX = 300
_NEQ = re.compile(r"^[0-9]{10}$")

EnterpriseFinder = Callable[[str], Enterprise | None]
FormT = TypeVar("FormT", bound=FlaskForm)


class GrantMode(StrEnum):
    """What a proxy gives at one ministry, as chosen on the form."""

    NONE = "none"
    UNRESTRICTED = "unrestricted"  # « Sans restriction »: every right, present and future
    RESTRICTED = "restricted"  # « Avec restriction »: the rights checked


KIND_CHOICES = [
    SelectChoice(ProxyKind.INTERNAL.value, _l("Internal")),
    SelectChoice(ProxyKind.EXTERNAL.value, _l("External")),
]
KIND_HINTS = {
    ProxyKind.INTERNAL.value: _l("For staff of your enterprise. You assign it yourself."),
    ProxyKind.EXTERNAL.value: _l(
        "For another enterprise, such as a consultant or a verifier. Its electronic services "
        "manager assigns it to its own staff."
    ),
}
GRANT_CHOICES = [
    SelectChoice(GrantMode.NONE.value, _l("Not included")),
    SelectChoice(GrantMode.UNRESTRICTED.value, _l("Without restriction")),
    SelectChoice(GrantMode.RESTRICTED.value, _l("With restriction")),
]
GRANT_HINTS = {
    GrantMode.UNRESTRICTED.value: _l("Every right of this ministry, present and future."),
    GrantMode.RESTRICTED.value: _l("Only the rights checked below."),
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def parse_day(raw: str | None) -> date | None:
    """A date typed as YYYY-MM-DD (what a date input sends), or None."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _require_day(field: Field) -> date:
    day = parse_day(field.data)
    if day is None:
        raise StopValidation(
            _l(
                "Enter the end date as year-month-day, for example %(example)s.",
                example="2027-06-30",
            )
        )
    return day


def _description_field() -> TextAreaField:
    return TextAreaField(
        _l("Description"),
        description=_l("Who the proxy is for and why, for example the annual IQEA report."),
        filters=[_strip],
        validators=[
            DataRequired(_l("Describe the proxy, for example who it is for.")),
            Length(
                max=DESCRIPTION_MAX,
                message=_l("At most %(max)d characters.", max=DESCRIPTION_MAX),
            ),
        ],
        render_kw={"rows": 3},
    )


class GrantChoices:
    """The grant choice (not included, without or with restriction) and the rights of each
    ministry, added as fields by :func:`with_grants`; what they give is read into ``grants``."""

    ministries: list[Ministry]
    grants: list[MinistryGrant]

    def grant_field(self, ministry: Ministry) -> RadioField:
        field: RadioField = getattr(self, f"grant_{ministry.key}")
        return field

    def rights_field(self, ministry: Ministry) -> SelectMultipleField:
        field: SelectMultipleField = getattr(self, f"rights_{ministry.key}")
        return field

    def _validate_grants(self) -> bool:
        grants: list[MinistryGrant] = []
        valid = True
        for ministry in self.ministries:
            mode, rights = self.grant_field(ministry), self.rights_field(ministry)
            if mode.errors or rights.errors:
                valid = False
                continue
            chosen = frozenset(rights.data or [])
            if mode.data == GrantMode.RESTRICTED and not chosen:
                rights.errors = [_l("Choose rights of this ministry, or « Without restriction ».")]
                valid = False
            elif mode.data == GrantMode.NONE and chosen:
                rights.errors = [_l("To give the checked rights, choose « With restriction ».")]
                valid = False
            elif mode.data != GrantMode.NONE:
                unrestricted = mode.data == GrantMode.UNRESTRICTED
                grants.append(
                    MinistryGrant(
                        ministry.key, unrestricted, frozenset() if unrestricted else chosen
                    )
                )
        if valid and not grants and self.ministries:
            self.grant_field(self.ministries[0]).errors = [_l("Choose at least one ministry.")]
            valid = False
        self.grants = grants
        return valid and bool(self.ministries)

    def grants_draft(self) -> list[dict[str, Any]]:
        return [
            {"ministry": g.ministry_key, "unrestricted": g.unrestricted, "rights": sorted(g.rights)}
            for g in self.grants
        ]


class ProxyForm(GrantChoices, FlaskForm):
    """Step 1 of a new proxy. Use :func:`proxy_form`, which adds the ministries' fields."""

    kind = RadioField(
        _l("Kind of proxy"),
        choices=KIND_CHOICES,
        validators=[InputRequired(_l("Choose the kind of proxy."))],
    )
    agent_identifier = StringField(
        _l("Identifier of the agent enterprise"),
        description=_l(
            "For an external proxy only: the 10-digit Québec enterprise number (NEQ) of the "
            "enterprise that receives the proxy."
        ),
        validators=[Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    ends_on = StringField(
        _l("End date"),
        validators=[InputRequired(_l("Enter the end date."))],
    )
    description = _description_field()

    def __init__(
        self,
        *args: Any,
        ministries: Sequence[Ministry],
        today: date,
        enterprise_id: int,
        find_enterprise: EnterpriseFinder,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.ministries = list(ministries)
        self.today = today
        self.latest = latest_end(today)
        self.enterprise_id = enterprise_id
        self.find_enterprise = find_enterprise
        self.agent: Enterprise | None = None
        self.grants: list[MinistryGrant] = []
        self.ends_on.description = _l(
            "At most three years less a day: the latest possible date is %(date)s.",
            date=format_date(self.latest, format="long"),
        )

    def validate_agent_identifier(self, field: Field) -> None:
        if self.kind.data != ProxyKind.EXTERNAL:
            field.data = ""
            return
        neq = re.sub(r"\s", "", field.data or "")
        if not neq:
            raise StopValidation(
                _l("Enter the 10-digit identifier of the enterprise that receives the proxy.")
            )
        if not _NEQ.fullmatch(neq):
            raise StopValidation(_l("The Québec enterprise number (NEQ) has exactly 10 digits."))
        agent = self.find_enterprise(neq)
        if agent is None:
            raise StopValidation(_l("No enterprise has this identifier."))
        if agent.id == self.enterprise_id:
            raise StopValidation(
                _l(
                    "An external proxy is given to another enterprise; use an internal proxy "
                    "for your own staff."
                )
            )
        field.data = neq
        self.agent = agent

    def validate_ends_on(self, field: Field) -> None:
        day = _require_day(field)
        try:
            check_end_date(day, self.today)
        except ValidationError as exc:
            raise StopValidation(str(exc.message)) from exc
        field.data = day.isoformat()

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return self._validate_grants() and valid

    def to_draft(self) -> dict[str, Any]:
        """What the review page needs, in JSON-safe values (for the session)."""
        return {
            "kind": self.kind.data,
            "agent_identifier": self.agent_identifier.data or "",
            "ends_on": self.ends_on.data,
            "description": (self.description.data or "").strip(),
            "grants": self.grants_draft(),
        }


class ProxyChangeForm(GrantChoices, FlaskForm):
    """The rights and description of a proxy in force (its kind, agent and end date stay).
    Use :func:`proxy_change_form`."""

    description = _description_field()

    def __init__(self, *args: Any, ministries: Sequence[Ministry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ministries = list(ministries)
        self.grants = []

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return self._validate_grants() and valid

    def to_draft(self) -> dict[str, Any]:
        return {
            "description": (self.description.data or "").strip(),
            "grants": self.grants_draft(),
        }


def _with_grants(
    form_class: type[FormT], ministries: Sequence[Ministry], language: str
) -> type[FormT]:
    """``form_class`` with a grant choice and the rights of each of ``ministries``."""
    fields: dict[str, Field] = {}
    for ministry in ministries:
        fields[f"grant_{ministry.key}"] = RadioField(
            ministry.name(language), choices=GRANT_CHOICES, default=GrantMode.NONE.value
        )
        fields[f"rights_{ministry.key}"] = SelectMultipleField(
            _l("Rights"),
            choices=[SelectChoice(r.id, r.label(language)) for r in ministry.rights],
        )
    return type(f"{form_class.__name__}WithGrants", (form_class,), fields)


def proxy_form(
    ministries: Sequence[Ministry],
    language: str,
    *,
    today: date,
    enterprise_id: int,
    find_enterprise: EnterpriseFinder,
    formdata: MultiDict[str, str] | None = None,
) -> ProxyForm:
    """The new proxy form, with the grants of each of ``ministries``."""
    options: dict[str, Any] = {"formdata": formdata} if formdata is not None else {}
    return _with_grants(ProxyForm, ministries, language)(
        ministries=ministries,
        today=today,
        enterprise_id=enterprise_id,
        find_enterprise=find_enterprise,
        **options,
    )


def proxy_change_form(
    ministries: Sequence[Ministry], language: str, *, formdata: MultiDict[str, str] | None
) -> ProxyChangeForm:
    """The change form; ``formdata`` pre-fills it (the proxy as it stands, or the change
    being corrected) on a GET; on a POST the request's data is read."""
    options: dict[str, Any] = {"formdata": formdata} if formdata is not None else {}
    return _with_grants(ProxyChangeForm, ministries, language)(ministries=ministries, **options)


def draft_formdata(draft: dict[str, Any]) -> MultiDict[str, str]:
    """The form as it was submitted, to pre-fill it again from a draft ("Correct")."""
    items: list[tuple[str, str]] = [
        (key, draft[key])
        for key in ("kind", "agent_identifier", "ends_on", "description")
        if key in draft
    ]
    for grant in draft["grants"]:
        mode = GrantMode.UNRESTRICTED if grant["unrestricted"] else GrantMode.RESTRICTED
        items.append((f"grant_{grant['ministry']}", mode.value))
        items += [(f"rights_{grant['ministry']}", right) for right in grant["rights"]]
    return MultiDict(items)


def draft_grants(draft: dict[str, Any]) -> list[MinistryGrant]:
    return [
        MinistryGrant(g["ministry"], bool(g["unrestricted"]), frozenset(g["rights"]))
        for g in draft["grants"]
    ]


class ConfirmForm(FlaskForm):
    """Only the CSRF token: submit, cancel, withdraw."""


class EndDateForm(FlaskForm):
    ends_on = StringField(
        _l("New end date"),
        validators=[InputRequired(_l("Enter the end date."))],
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ends_on.description = _l(
            "At most three years less a day from today: the latest possible date is %(date)s.",
            date=format_date(latest_end(today), format="long"),
        )

    def validate_ends_on(self, field: Field) -> None:
        field.data = _require_day(field).isoformat()

    @property
    def day(self) -> date:
        day = parse_day(self.ends_on.data)
        if day is None:
            raise ValueError("day of an invalid form")
        return day


class AssignForm(FlaskForm):
    account_ids = SelectMultipleField(
        _l("Users who receive the proxy"),
        coerce=int,
        validators=[InputRequired(_l("Choose at least one user."))],
    )

    def __init__(self, *args: Any, choices: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_ids.choices = [SelectChoice(str(v), label) for v, label in choices]
