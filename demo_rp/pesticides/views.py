"""The pages: home, « Mes demandes », a new application (form, review, submission), one
application; the language switch and « transmis » come from :mod:`demo_rp.common.views`.

The application being prepared (``draft``) stays in the server-side session between the form
and its submission: the review page shows it, « Modifier » brings it back into the form.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from demo_rp.common import site
from demo_rp.common.i18n import t
from demo_rp.common.views import NavItem, add_shared_views, returned_from_sign_out, signed_in
from demo_rp.pesticides.applications import Application, Category
from demo_rp.pesticides.extensions import services
from demo_rp.pesticides.forms import FORM_FIELDS, ApplicationFormResult, validate
from demo_rp.pesticides.identity import Citizen

bp = Blueprint("site", __name__)

DRAFT_KEY = "draft"
CATEGORIES = tuple(str(category) for category in Category)


def _citizen() -> Citizen:
    citizen: Citizen = g.person
    return citizen


def _today() -> date:
    """Today in Québec (who is of age is decided on Québec's calendar)."""
    return site.now().astimezone(site.QUEBEC).date()


def _menu(_person: Citizen, endpoint: str) -> list[NavItem]:
    return [
        NavItem(
            t("nav_applications"),
            url_for("site.applications"),
            endpoint in {"site.applications", "site.application", "site.confirmation"},
        ),
        NavItem(
            t("nav_new_application"),
            url_for("site.new_application"),
            endpoint in {"site.new_application", "site.review", "site.submit"},
        ),
    ]


add_shared_views(bp, _menu)  # /langue/<code>, /transmis, and the menu


# -- home -------------------------------------------------------------------------------------


@bp.get("/")
def home() -> Any:
    """What the service is; a signed-in citizen goes on to « Mes demandes »."""
    back = returned_from_sign_out()
    if back is not None:
        return back
    if g.get("person") is not None:
        return redirect(url_for("site.applications"))
    return render_template("home.html")


# -- the citizen's applications ---------------------------------------------------------------


@bp.get("/demandes")
@signed_in
def applications() -> str:
    """« Mes demandes »: the citizen's applications, the latest first."""
    found = services().applications.for_person(_citizen().sub)
    return render_template("applications/list.html", applications=found)


def _own(number: str) -> Application:
    found = services().applications.get(number, _citizen().sub)
    if found is None:
        abort(404)  # unknown, or another citizen's
    return found


@bp.get("/demandes/<number>")
@signed_in
def application(number: str) -> str:
    """One of the citizen's applications."""
    return render_template("applications/view.html", application=_own(number))


@bp.get("/demandes/<number>/confirmation")
@signed_in
def confirmation(number: str) -> str:
    """The application just submitted, and its confirmation number."""
    return render_template("applications/confirmation.html", application=_own(number))


# -- a new application ------------------------------------------------------------------------


def _form_page(values: dict[str, str], errors: dict[str, str]) -> str:
    return render_template(
        "applications/form.html",
        values=values,
        errors=errors,
        fields=FORM_FIELDS,
        categories=CATEGORIES,
    )


@bp.route("/demandes/nouvelle", methods=["GET", "POST"])
@signed_in
def new_application() -> Any:
    """The form; a valid one goes to the review page, an invalid one comes back as typed."""
    if request.method == "GET":
        draft = session.get(DRAFT_KEY)
        return _form_page(draft if isinstance(draft, dict) else {}, {})
    typed = {name: request.form.get(name, "") for name in FORM_FIELDS}
    result = validate(typed, _today())
    if not result.valid:
        # Everything typed comes back as typed, with the errors beside it.
        return _form_page(typed, result.errors), 400
    session[DRAFT_KEY] = result.values
    return redirect(url_for("site.review"))


def _draft() -> ApplicationFormResult | None:
    """The application being prepared, checked again (today may no longer be yesterday)."""
    draft = session.get(DRAFT_KEY)
    return validate(draft, _today()) if isinstance(draft, dict) else None


@bp.get("/demandes/nouvelle/verification")
@signed_in
def review() -> Any:
    """Everything the citizen gave, before « Soumettre »."""
    draft = _draft()
    if draft is None:
        return redirect(url_for("site.new_application"))
    if not draft.valid:
        return _form_page(draft.values, draft.errors), 400
    return render_template("applications/review.html", values=draft.values)


@bp.post("/demandes/nouvelle/soumettre")
@signed_in
def submit() -> Any:
    """Store the reviewed application; its confirmation number is shown next."""
    draft = _draft()
    if draft is None:
        # Submitted already (a second click), or never prepared.
        flash("flash_nothing_to_submit", "info")
        return redirect(url_for("site.applications"))
    if not draft.valid:
        return _form_page(draft.values, draft.errors), 400
    citizen = _citizen()
    stored = services().applications.submit(
        citizen.sub,
        applicant_name=citizen.name,
        applicant_email=citizen.email,
        values=draft.values,
        now=site.now(),
    )
    session.pop(DRAFT_KEY, None)
    return redirect(url_for("site.confirmation", number=stored.number))
