"""The pages: home, annual reports (operators), verification (verifiers); the language switch
and « transmis » come from :mod:`demo_rp.common.views`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, cast

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from demo_rp.common import site
from demo_rp.common.views import (
    NavItem,
    View,
    add_shared_views,
    returned_from_sign_out,
    signed_in,
)
from demo_rp.iqea import i18n
from demo_rp.iqea.config import OPERATOR_RIGHT, VERIFIER_RIGHT
from demo_rp.iqea.extensions import services
from demo_rp.iqea.identity import Person
from demo_rp.iqea.reports import (
    FIELDS,
    TONNE_FIELDS,
    Report,
    Status,
    offered_years,
    parse_year,
    validate,
)

bp = Blueprint("site", __name__)


def _now() -> datetime:
    return site.now()


def _person() -> Person:
    person: Person = g.person
    return person


def requires(right: str | None) -> Callable[[View], View]:
    """Signed in, acting for an enterprise, holding ``right`` (or any IQEA right if None)."""

    def decorate(view: View) -> View:
        @wraps(view)
        @signed_in
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            person = _person()
            allowed = person.has_any_right and (right is None or right in person.rights)
            if not allowed:
                return render_template("no_rights.html", needed=right), 403
            return view(*args, **kwargs)

        return cast(View, wrapper)

    return decorate


def _menu(person: Person, endpoint: str) -> list[NavItem]:
    """Home, then the pages the person's rights open."""
    items = [NavItem(i18n.t("nav_home"), url_for("site.home"), endpoint == "site.home")]
    if person.is_operator:
        items.append(
            NavItem(
                i18n.t("nav_reports"),
                url_for("site.reports"),
                endpoint in {"site.reports", "site.new_report"}
                or (endpoint == "site.report" and request.args.get("de") != "verification"),
            )
        )
    if person.is_verifier:
        items.append(
            NavItem(
                i18n.t("nav_verification"),
                url_for("site.verification"),
                endpoint == "site.verification"
                or (endpoint == "site.report" and request.args.get("de") == "verification"),
            )
        )
    return items


add_shared_views(bp, _menu)  # /langue/<code>, /transmis, and the menu


# -- home -------------------------------------------------------------------------------------


@bp.get("/")
def home() -> Any:
    return returned_from_sign_out() or render_template("home.html")


# -- annual reports (operator) ----------------------------------------------------------------


def _enterprise(person: Person) -> tuple[str, str]:
    if person.enterprise is None:  # has_any_right requires one: not reached
        abort(403)
    return person.enterprise.neq, person.enterprise.name


@bp.get("/declarations")
@requires(OPERATOR_RIGHT)
def reports() -> str:
    return _reports_page({}, None)


def _reports_page(errors: dict[str, str], chosen: str | None) -> str:
    neq, _name = _enterprise(_person())
    years = offered_years(_now())
    return render_template(
        "reports/list.html",
        reports=services().reports.for_enterprise(neq),
        years=years,
        chosen_year=chosen or str(years[0]),
        errors=errors,
    )


@bp.post("/declarations/nouvelle")
@requires(OPERATOR_RIGHT)
def new_report() -> Any:
    raw = request.form.get("year")
    year, error = parse_year(raw, _now())
    if error:
        return _reports_page({"year": error}, raw), 400
    return redirect(url_for("site.report", year=year))


@bp.route("/declarations/<int:year>", methods=["GET", "POST"])
@requires(None)
def report(year: int) -> Any:
    person = _person()
    neq, name = _enterprise(person)
    store = services().reports
    existing = store.get(neq, year)
    if existing is None:
        if not person.is_operator or year not in offered_years(_now()):
            abort(404)
        existing = Report(neq=neq, enterprise_name=name, year=year)
    if request.method == "POST":
        return _save(person, existing)
    if existing.editable and person.is_operator:
        return render_template(
            "reports/form.html",
            report=existing,
            values=_as_typed(existing.values),
            errors={},
            fields=FIELDS,
        )
    return _view(person, existing)


def _as_typed(values: dict[str, str]) -> dict[str, str]:
    """Stored values as a person of this language types them (« 1 250,5 »)."""
    return {
        name: i18n.format_tonnes(value) if name in TONNE_FIELDS and value else value
        for name, value in values.items()
    }


def _view(person: Person, report: Report) -> str:
    if report.status == Status.DRAFT:
        abort(404)  # a draft is the operator's alone
    blocked = None
    can_approve = person.is_verifier and report.status == Status.SUBMITTED
    if can_approve and report.submitted_by_sub == person.sub:
        can_approve, blocked = False, "approve_own_submission"
    from_verification = request.args.get("de") == "verification" or not person.is_operator
    back = url_for("site.verification") if from_verification else url_for("site.reports")
    return render_template(
        "reports/view.html",
        report=report,
        can_approve=can_approve,
        approve_blocked=blocked,
        back_url=back,
    )


def _save(person: Person, report: Report) -> Any:
    if not person.is_operator:
        return render_template("no_rights.html", needed=OPERATOR_RIGHT), 403
    if not report.editable:
        flash("flash_not_editable", "error")
        return redirect(url_for("site.report", year=report.year))
    submit = request.form.get("action") == "submit"
    typed = {name: request.form.get(name, "") for name in FIELDS}
    clean, errors = validate(typed, complete=submit)
    if errors:
        # Everything typed comes back as typed, with the errors beside it.
        return render_template(
            "reports/form.html", report=report, values=typed, errors=errors, fields=FIELDS
        ), 400
    saved = services().reports.save(
        report,
        clean,
        by_name=person.name,
        by_sub=person.sub,
        now=int(_now().timestamp()),
        submit=submit,
    )
    if not saved:
        flash("flash_not_editable", "error")
        return redirect(url_for("site.report", year=report.year))
    if submit:
        flash("flash_submitted", "success")
        return redirect(url_for("site.reports"))
    flash("flash_saved", "success")
    return redirect(url_for("site.report", year=report.year))


# -- verification (verifier) ------------------------------------------------------------------


@bp.get("/verification")
@requires(VERIFIER_RIGHT)
def verification() -> str:
    neq, _name = _enterprise(_person())
    shown = [r for r in services().reports.for_enterprise(neq) if r.status != Status.DRAFT]
    return render_template("reports/verification.html", reports=shown)


@bp.post("/declarations/<int:year>/approbation")
@requires(VERIFIER_RIGHT)
def approve(year: int) -> Any:
    person = _person()
    neq, _name = _enterprise(person)
    report = services().reports.get(neq, year)
    if report is None:
        abort(404)
    if report.submitted_by_sub == person.sub:
        flash("approve_own_submission", "error")
        return redirect(url_for("site.report", year=year, de="verification"))
    approved = services().reports.approve(
        neq,
        year,
        by_name=person.name,
        by_sub=person.sub,
        agent=person.as_actor(),
        now=int(_now().timestamp()),
    )
    flash(
        "flash_approved" if approved else "flash_not_submitted", "success" if approved else "error"
    )
    return redirect(url_for("site.report", year=year, de="verification"))
