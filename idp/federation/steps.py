"""The pages between sign-in and a relying party, shared by OpenID Connect and SAML.

Whatever the protocol, a person signing in to a ministry's service goes through the same
decisions: which enterprise they act for at that ministry (asked only when there is a choice,
then remembered for the session), whether they hold a right the service needs (if not, a page
tells them to ask their ESM for a proxy), and whether they agreed to what the ministry receives
(asked on the first visit, or when more is asked). :mod:`idp.federation.journey` decides which
comes next; these are the pages, the remembered choice and the activity history it leans on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask_wtf import FlaskForm
from sqlalchemy import select

from idp.accounts.models import UserSession
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.consents.views import scope_label
from idp.enterprises.models import Enterprise
from idp.extensions import db
from idp.federation.journey import ChooseEnterprise, ConsentNeeded, Demands, NoRights
from idp.federation.journey import Outcome as JourneyOutcome
from idp.federation.models import EnterpriseChoice
from idp.names import OrganisationName
from idp.proxies.rights import EffectiveRights, enterprises_for
from idp.web.context import client_info, runtime
from idp.web.i18n import page_language

# The form fields of these pages: a post carrying one of them is a person's decision.
FORM_FIELDS = ("csrf_token", "decision", "enterprise")


class DecisionForm(FlaskForm):
    """Only the CSRF token: the decision is the button pressed."""


@dataclass(frozen=True)
class Visit:
    """A signed-in person on their way to one relying party."""

    user_session: UserSession
    ministry_key: str
    required_rights: tuple[str, ...]
    # The client id or SAML entity id, for the activity history.
    relying_party: str
    # The relying party as it reads in a sentence (« l'Inventaire québécois... »).
    service: OrganisationName
    # Where the pages post back (the request in progress).
    action: str


def decision_form_valid() -> bool:
    return DecisionForm().validate_on_submit()


def demands(audience: str, **asked: Any) -> Demands:
    """What this request asks of the journey: the relying party's ``asked``, and the person's
    answer when one of the journey's pages was posted back."""
    form = request.form if request.method == "POST" else None
    return Demands(
        audience=audience,
        decision=form.get("decision") if form else None,
        posted_enterprise=form.get("enterprise") if form else None,
        is_decision=form is not None and any(f in form for f in FORM_FIELDS),
        **asked,
    )


def enterprise_options(visit: Visit) -> list[EffectiveRights]:
    """Enterprises the person may act for at this ministry, holding a right the site needs."""
    rt = runtime()
    found = enterprises_for(
        db.session,
        rt.catalogue,
        visit.user_session.account,
        visit.ministry_key,
        rt.today(),
    )
    required = set(visit.required_rights)
    return [held for held in found if not required or held.rights & required]


def remembered(visit: Visit) -> EnterpriseChoice | None:
    return db.session.scalars(
        select(EnterpriseChoice).where(
            EnterpriseChoice.session_id == visit.user_session.id,
            EnterpriseChoice.ministry_key == visit.ministry_key,
        )
    ).one_or_none()


def remember_choice(visit: Visit, held: EffectiveRights) -> None:
    """The choice holds for this ministry for the rest of the browser session."""
    rt = runtime()
    existing = remembered(visit)
    if existing is None:
        db.session.add(
            EnterpriseChoice(
                session_id=visit.user_session.id,
                ministry_key=visit.ministry_key,
                enterprise_id=held.enterprise_id,
                chosen_at=rt.clock(),
            )
        )
    elif existing.enterprise_id != held.enterprise_id:
        existing.enterprise_id = held.enterprise_id
        existing.chosen_at = rt.clock()
    record(
        db.session,
        rt.clock,
        AuditAction.OIDC_ENTERPRISE_CHOOSE,
        client=client_info(),
        subject_id=visit.user_session.account_id,
        enterprise_id=held.enterprise_id,
        relying_party=visit.relying_party,
        ministry=visit.ministry_key,
    )
    db.session.flush()


def record_refusal(visit: Visit | None, relying_party: str, reason: str) -> None:
    """The person declined, or holds no right the service needs."""
    record(
        db.session,
        runtime().clock,
        AuditAction.OIDC_AUTHORIZATION_DENY,
        Outcome.DENIED,
        client=client_info(),
        subject_id=visit.user_session.account_id if visit else None,
        relying_party=relying_party,
        reason=reason,
    )


def record_sign_in(visit: Visit, enterprise_id: int | None, **details: Any) -> None:
    record(
        db.session,
        runtime().clock,
        AuditAction.OIDC_SIGN_IN,
        client=client_info(),
        subject_id=visit.user_session.account_id,
        enterprise_id=enterprise_id,
        relying_party=visit.relying_party,
        sid=visit.user_session.sid,
        **details,
    )


# -- pages ------------------------------------------------------------------------------------


def _page_context(visit: Visit) -> dict[str, object]:
    language = page_language()
    return {
        "service": visit.service,
        "ministry": runtime().catalogue.ministry(visit.ministry_key),
        "language": language,
        "form": DecisionForm(),
        "action": visit.action,
    }


def no_rights_page(visit: Visit) -> tuple[str, int]:
    return render_template("federation/no_rights.html", **_page_context(visit)), 403


def choice_page(visit: Visit, options: list[EffectiveRights]) -> str:
    language = page_language()
    catalogue = runtime().catalogue
    rows = []
    for held in options:
        rows.append(
            {
                "id": held.enterprise_id,
                "enterprise": db.session.get(Enterprise, held.enterprise_id),
                "source": str(held.source),
                "rights": [
                    right.label(language)
                    for right_id in sorted(held.rights)
                    if (right := catalogue.right(right_id)) is not None
                ],
            }
        )
    return render_template("federation/choose_enterprise.html", rows=rows, **_page_context(visit))


def consent_page(visit: Visit, enterprise: Enterprise | None, scopes: list[str]) -> str:
    language = page_language()
    return render_template(
        "federation/consent.html",
        shared=[scope_label(scope, language) for scope in scopes],
        enterprise=enterprise,
        **_page_context(visit),
    )


def journey_page(visit: Visit, outcome: JourneyOutcome) -> str | tuple[str, int] | None:
    """The page of an outcome the journey answers with a page of its own, else None."""
    match outcome:
        case NoRights():
            return no_rights_page(visit)
        case ChooseEnterprise(options=options):
            return choice_page(visit, list(options))
        case ConsentNeeded(enterprise_id=enterprise_id, shared=shared):
            enterprise = db.session.get(Enterprise, enterprise_id) if enterprise_id else None
            return consent_page(visit, enterprise, list(shared))
    return None
