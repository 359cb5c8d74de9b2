"""« Inscrire une entreprise »: the public pages by which an enterprise registers itself.

Three steps (the enterprise, its authorized representative, review and conditions), kept in
the signed session cookie between pages (nothing secret: facts of a public register and the
representative's contact details). The enterprise is checked at step 1 and again on submission.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from idp.enterprises import onboarding
from idp.enterprises.onboarding import (
    EnterpriseStep,
    NotAccepted,
    RepresentativeStep,
    clean_enterprise,
    clean_representative,
)
from idp.enterprises.onboarding_forms import (
    EnterpriseForm,
    RepresentativeForm,
    SubmitApplicationForm,
    legal_form_label,
)
from idp.enterprises.registry import EnterpriseFacts
from idp.errors import ThrottledError
from idp.extensions import db, limiter
from idp.web.actions import Refusal, attempt, refusal_message
from idp.web.context import client_info, runtime
from idp.web.messages import throttled_message

bp = Blueprint("onboarding", __name__)

DRAFT_KEY = "enterprise_application"
DONE_KEY = "enterprise_application_sent"
STEPS = 3


def _draft() -> dict[str, Any]:
    draft = session.get(DRAFT_KEY)
    return draft if isinstance(draft, dict) else {}


def _save(part: str, values: dict[str, str]) -> None:
    session[DRAFT_KEY] = {**_draft(), part: values}


def _not_accepted_message(refused: NotAccepted) -> str:
    if isinstance(refused.error, ThrottledError):
        return throttled_message(refused.error)
    return str(refused.error.message)


@bp.route("/inscription-entreprise", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def enterprise() -> Response | str:
    """Step 1: the NEQ, the legal name and the legal form, checked with the register."""
    saved = _draft().get("enterprise")
    form = EnterpriseForm(data=saved if saved else None)
    error = None
    if form.validate_on_submit():
        step = EnterpriseStep(
            form.neq.data or "", form.legal_name.data or "", form.legal_form.data or ""
        )
        result = attempt(
            lambda: onboarding.check_enterprise(db.session, runtime(), step, client=client_info())
        )
        if isinstance(result, EnterpriseFacts):
            _save("enterprise", _facts_values(result))
            return redirect(url_for("onboarding.representative"))
        error = _error(result, form)
    return render_template("onboarding/enterprise.html", form=form, error=error, step=1)


@bp.route("/inscription-entreprise/representant", methods=["GET", "POST"])
def representative() -> Response | str:
    """Step 2: the authorized representative (the person who will receive the user code)."""
    if "enterprise" not in _draft():
        return redirect(url_for("onboarding.enterprise"))
    form = RepresentativeForm(data=_draft().get("representative"))
    error = None
    if form.validate_on_submit():
        step = RepresentativeStep(
            form.first_name.data or "",
            form.last_name.data or "",
            form.position.data or "",
            form.email.data or "",
            form.telephone.data or "",
            form.extension.data or "",
        )
        result = attempt(lambda: clean_representative(step))
        if isinstance(result, onboarding.Representative):
            _save("representative", _representative_values(result))
            return redirect(url_for("onboarding.review"))
        error = _error(result, form)
    return render_template("onboarding/representative.html", form=form, error=error, step=2)


@bp.route("/inscription-entreprise/confirmation", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def review() -> Response | str:
    """Step 3: everything once more, the conditions of use, then « Submit »."""
    draft = _draft()
    if "enterprise" not in draft:
        return redirect(url_for("onboarding.enterprise"))
    if "representative" not in draft:
        return redirect(url_for("onboarding.representative"))
    form = SubmitApplicationForm()
    error = None
    if form.validate_on_submit():
        result = attempt(
            lambda: onboarding.submit_application(
                db.session,
                runtime(),
                clean_enterprise(EnterpriseStep(**draft["enterprise"])),
                clean_representative(RepresentativeStep(**draft["representative"])),
                client=client_info(),
            )
        )
        if not isinstance(result, NotAccepted | Refusal):
            session.pop(DRAFT_KEY, None)
            session[DONE_KEY] = {
                "legal_name": result.enterprise.legal_name,
                "neq": result.enterprise.neq,
                "email": result.representative_email,
            }
            return redirect(url_for("onboarding.received"))
        error = _error(result, None)
    return render_template(
        "onboarding/review.html",
        form=form,
        error=error,
        step=3,
        enterprise=draft["enterprise"],
        representative=draft["representative"],
        legal_form=legal_form_label(draft["enterprise"].get("legal_form")),
    )


@bp.get("/inscription-entreprise/recue")
def received() -> Response | str:
    """The application was received: what happens next."""
    sent = session.get(DONE_KEY)
    if not isinstance(sent, dict):
        return redirect(url_for("onboarding.enterprise"))
    return render_template("onboarding/received.html", sent=sent)


@bp.get("/inscription-entreprise/conditions")
def conditions() -> str:
    """The conditions of use of clicSÉQUR, as accepted at step 3."""
    return render_template("onboarding/conditions.html")


def _error(result: NotAccepted | Refusal, form: Any) -> str | None:
    if isinstance(result, NotAccepted):
        return _not_accepted_message(result)
    return refusal_message(result, form)


def _facts_values(facts: EnterpriseFacts) -> dict[str, str]:
    return {"neq": facts.neq, "legal_name": facts.legal_name, "legal_form": facts.legal_form}


def _representative_values(clean: onboarding.Representative) -> dict[str, str]:
    return {
        "first_name": clean.first_name,
        "last_name": clean.last_name,
        "position": clean.position,
        "email": clean.email,
        "telephone": clean.telephone,
        "extension": clean.extension or "",
    }
