"""How a page runs a service call: one contract for every view.

Services decide and raise typed errors; here they become pages. Something this person may not
act on is « not found », like something that does not exist (nothing is learnt about other
enterprises' records); a conflict or a validation error is handed back for the page to show; an
action that needs a recent emailed code sends the person to enter one, then back.

    result = attempt(lambda: services.do(db.session, runtime(), ...))
    if isinstance(result, Refusal):
        flash(refusal_message(result, form), "error")
        return render_template(...)
    return finish(_("C'est fait."), url_for(...))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import abort, flash, redirect, session
from werkzeug.wrappers import Response
from wtforms import Field

from idp.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    StepUpRequiredError,
    ValidationError,
)
from idp.extensions import db
from idp.web.context import step_up_redirect

T = TypeVar("T")

#: What a service refuses with and a page shows: a conflict, or a validation error.
Refusal = ConflictError | ValidationError


def not_found() -> NoReturn:
    abort(404)


def commit_or_404(call: Callable[[], T]) -> T:
    """Run a service call and commit what it did; if it fails, roll it back.

    Something this person may not act on, or that does not exist, gives 404; any other error
    goes on up.
    """
    try:
        result = call()
    except (ForbiddenError, NotFoundError):
        db.session.rollback()
        not_found()
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def attempt(call: Callable[[], T]) -> T | Refusal:
    """:func:`commit_or_404`, for a page that shows what the service refused: returns the call's
    result, or its refusal (a conflict or a validation error)."""
    try:
        return commit_or_404(call)
    except (ConflictError, ValidationError) as refusal:
        return refusal


def attempt_sensitive(call: Callable[[], T], *, step_up_to: str) -> T | Refusal | Response:
    """:func:`attempt`, for an action that may need an emailed code entered in the last minutes:
    without one, returns the redirect to enter it, then come back to ``step_up_to``."""
    try:
        return attempt(call)
    except StepUpRequiredError:
        return step_up_redirect(step_up_to)


def finish(message: str, to: str, *, forget: str | None = None) -> Response:
    """After a change: drop the draft kept under ``forget``, say it is done, go to ``to``."""
    if forget is not None:
        session.pop(forget, None)
    flash(message, "success")
    return redirect(to)


def error_fields(error: ValidationError) -> list[str]:
    """The form fields a validation error names (none when it concerns the whole form)."""
    names = error.details.get("fields") or [error.details.get("field")]
    return [name for name in names if name]


def attach(form: Any, error: ValidationError) -> str | None:
    """Show a service's validation error on its fields of ``form``; returns it when no field
    fits, for the page to show above the form."""
    fields: list[Field] = [form[name] for name in error_fields(error) if name in form]
    for field in fields:
        field.errors = [*field.errors, error.message]
    return None if fields else str(error.message)


def refusal_message(refusal: Refusal, form: Any = None) -> str | None:
    """What to show of a refusal: a validation error goes on its field of ``form`` if there is
    one (see :func:`attach`); otherwise its message."""
    if isinstance(refusal, ValidationError) and form is not None:
        return attach(form, refusal)
    return str(refusal.message)
