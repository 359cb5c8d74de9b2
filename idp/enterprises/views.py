"""User files: the ESM's management of the enterprise's accounts.

Creating a file is a form, a review page and a printable acknowledgement that shows the
temporary password once. Services decide and raise typed errors; here they become pages:
forbidden or unknown files are « not found » (nothing is learnt about other enterprises),
conflicts a message, validation errors messages on their fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from idp.accounts.email_changes import find_email_change, pending_email_change
from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.enterprises.email_change import confirm_email_change
from idp.enterprises.forms import (
    ConfirmForm,
    DesignationForm,
    NewUserFileForm,
    UserFileDraft,
    UserFileForm,
    user_file_values,
)
from idp.enterprises.models import Enterprise
from idp.enterprises.policies import (
    can_cancel_user_file,
    can_designate_esm,
    can_edit_user_file,
    can_manage,
    can_reset_password_of,
    can_set_status,
    can_suspend,
    is_representative_of,
)
from idp.enterprises.user_files import (
    create_user_file,
    designate_esm,
    find_user_file,
    reset_password,
    set_status,
    update_user_file,
    user_files,
)
from idp.errors import (
    ConflictError,
    DeliveryError,
    ForbiddenError,
    NotFoundError,
    StepUpRequiredError,
    ValidationError,
)
from idp.extensions import db, limiter
from idp.web.context import (
    client_info,
    code_verified_at,
    current_account,
    roles_required,
    runtime,
    step_up_redirect,
)

bp = Blueprint("enterprises", __name__)

_MANAGERS = (AccountRole.ESM, AccountRole.AUTHORIZED_REPRESENTATIVE)
DRAFT_KEY = "enterprises.user_file_draft"
EDIT_DRAFT_KEY = "enterprises.user_file_edit"

# URL word → status it sets.
STATUS_ACTIONS = {
    "suspendre": AccountStatus.SUSPENDED,
    "reactiver": AccountStatus.ACTIVE,
    "annuler": AccountStatus.CANCELLED,
}


# -- list, create, review, acknowledge -----------------------------------------------------


@bp.get("/entreprise/utilisateurs")
@roles_required(*_MANAGERS)
def users() -> str:
    """The enterprise's user files."""
    enterprise = _enterprise()
    return render_template(
        "enterprises/users.html",
        enterprise=enterprise,
        files=user_files(db.session, enterprise.id),
        me=current_account(),
    )


@bp.route("/entreprise/utilisateurs/nouveau", methods=["GET", "POST"])
@roles_required(*_MANAGERS)
def new() -> Response | str:
    """Step 1 of creating a file: the details and the role; « Correct » comes back here."""
    actor = current_account()
    draft = _draft() if request.args.get("draft") else None
    form = NewUserFileForm(data=draft.form_values() if draft else None)
    form.limit_roles(_creatable_roles(actor))
    if form.validate_on_submit() and form.cleaned is not None:
        draft = UserFileDraft.of(actor.id, form.cleaned, form.chosen_role)
        session[DRAFT_KEY] = draft.to_session()
        return redirect(url_for("enterprises.review"))
    return _render_new(form, None)


@bp.route("/entreprise/utilisateurs/nouveau/verification", methods=["GET", "POST"])
@roles_required(*_MANAGERS)
def review() -> Response | str:
    """Step 2: check, then « Submit »; creating an ESM needs a recent emailed code."""
    draft = _draft()
    if draft is None:
        return redirect(url_for("enterprises.new"))
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        actor = current_account()
        try:
            created = create_user_file(
                db.session,
                runtime(),
                actor,
                _enterprise(),
                draft.user_file_data(),
                draft.account_role,
                verified_at=code_verified_at(),
                client=client_info(),
            )
        except StepUpRequiredError:
            db.session.rollback()
            return step_up_redirect(url_for("enterprises.review"))
        except (ForbiddenError, NotFoundError):
            _not_found()
        except ValidationError as exc:
            db.session.rollback()
            form_again = _draft_form(draft, actor)
            return _render_new(form_again, form_again.add_service_error(exc))
        except ConflictError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            session.pop(DRAFT_KEY, None)
            return _acknowledge(actor, created.account, created.temporary_password, "created")
    return render_template(
        "enterprises/review.html", draft=draft, form=form, error=error, enterprise=_enterprise()
    )


@bp.get("/entreprise/utilisateurs/accuse")
@roles_required(*_MANAGERS)
def acknowledgement() -> str:
    """Where a reloaded or bookmarked acknowledgement lands: it is never shown again."""
    return _render_acknowledgement(None)


def _render_acknowledgement(shown: dict[str, Any] | None) -> str:
    return render_template(
        "enterprises/acknowledgement.html",
        ack=shown,
        enterprise=_enterprise(),
        issued_at=runtime().clock(),
        sign_in_url=url_for("accounts.login", _external=True),
    )


# -- the owner of a new address confirms it (no sign-in: the link is the proof) ---------------


@bp.route("/courriel/confirmer/<token>", methods=["GET", "POST"])
@limiter.limit("20/minute")
def confirm_email(token: str) -> Response | str | tuple[str, int]:
    """A GET only shows the button: mail scanners open links, a person confirms."""
    rt = runtime()
    try:
        change = find_email_change(db.session, rt, token)
    except NotFoundError as exc:
        return render_template("enterprises/link_invalid.html", message=str(exc.message)), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            confirm_email_change(db.session, rt, change, client=client_info())
        except NotFoundError as exc:
            db.session.rollback()
            return render_template("enterprises/link_invalid.html", message=str(exc.message)), 404
        db.session.commit()
        flash(
            _("The email address is changed. Verification codes will be sent there from now on."),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("enterprises/confirm_email.html", form=form, email=change.email)


# -- one file and its actions --------------------------------------------------------------


@bp.get("/entreprise/utilisateurs/<int:account_id>")
@roles_required(*_MANAGERS)
def user(account_id: int) -> str:
    """One user file, with the actions the policies allow on it."""
    actor = current_account()
    target = _target(account_id)
    return render_template(
        "enterprises/user.html",
        target=target,
        actions=file_actions(actor, target),
        is_me=target.id == actor.id,
        designation_form=DesignationForm(),
        pending_email=pending_email_change(db.session, runtime(), target),
    )


@bp.route("/entreprise/utilisateurs/<int:account_id>/modifier", methods=["GET", "POST"])
@roles_required(*_MANAGERS)
def edit(account_id: int) -> Response | str:
    """Modify a user's details (an ESM: users, and its own file).

    A new email address needs the ESM's recent emailed code: what was typed waits in the
    browser session while the code is entered, then comes back in the form to save again."""
    actor = current_account()
    target = _target(account_id)
    if not file_actions(actor, target).edit:
        _not_found()
    waiting = _edit_draft(target.id)
    form = UserFileForm(data=waiting or user_file_values(target))
    error = None
    if form.validate_on_submit():
        rt = runtime()
        try:
            update = update_user_file(
                db.session,
                rt,
                actor,
                target,
                form.user_file_data(),
                verified_at=code_verified_at(),
                base_url=rt.settings.issuer,
                client=client_info(),
            )
        except StepUpRequiredError:
            db.session.rollback()
            session[EDIT_DRAFT_KEY] = {"account_id": target.id, "values": form.user_file_values()}
            return step_up_redirect(url_for("enterprises.edit", account_id=target.id))
        except ForbiddenError:
            _not_found()
        except ValidationError as exc:
            db.session.rollback()
            error = form.add_service_error(exc)
        except DeliveryError:
            db.session.rollback()
            error = _(
                "We could not send the email to the new address. Nothing was changed; check "
                "the address or try again in a few minutes."
            )
        else:
            db.session.commit()
            session.pop(EDIT_DRAFT_KEY, None)
            flash(_("The user file is updated."), "success")
            if update.pending_email:
                flash(
                    _(
                        "A confirmation link was sent to %(email)s. The address of the file "
                        "changes when its owner opens the link; until then, codes keep going "
                        "to the current address, which will be told of the change.",
                        email=update.pending_email,
                    ),
                    "info",
                )
            return redirect(url_for("enterprises.user", account_id=target.id))
    return render_template(
        "enterprises/edit.html",
        form=form,
        target=target,
        error=error,
        resumed=waiting is not None and request.method == "GET",
    )


def _edit_draft(account_id: int) -> dict[str, str] | None:
    """What was typed before the step-up, for this file only."""
    draft = session.get(EDIT_DRAFT_KEY)
    if not isinstance(draft, dict) or draft.get("account_id") != account_id:
        return None
    values = draft.get("values")
    return values if isinstance(values, dict) else None


@bp.route("/entreprise/utilisateurs/<int:account_id>/statut/<action>", methods=["GET", "POST"])
@roles_required(*_MANAGERS)
def change_status(account_id: int, action: str) -> Response | str:
    """Confirm, then suspend, reactivate or cancel a file; suspending ends its sessions."""
    status = STATUS_ACTIONS.get(action)
    if status is None:
        _not_found()
    actor = current_account()
    target = _target(account_id)
    if not can_set_status(actor, target, status):
        _not_found()
    form = ConfirmForm()
    error = _status_conflict(target, status) if request.method == "GET" else None
    if form.validate_on_submit():
        try:
            set_status(db.session, runtime(), actor, target, status, client=client_info())
        except ForbiddenError:
            _not_found()
        except ConflictError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            flash(_STATUS_DONE[status](), "success")
            return redirect(url_for("enterprises.user", account_id=target.id))
    return render_template(
        "enterprises/confirm_status.html",
        form=form,
        target=target,
        action=action,
        error=error,
    )


@bp.route(
    "/entreprise/utilisateurs/<int:account_id>/mot-de-passe",
    methods=["GET", "POST"],
    endpoint="reset_password",
)
@roles_required(*_MANAGERS)
def reset_password_page(account_id: int) -> Response | str:
    """Confirm, then give the person a new temporary password, shown once."""
    actor = current_account()
    target = _target(account_id)
    if not can_reset_password_of(actor, target):
        _not_found()
    form = ConfirmForm()
    error = _status_conflict(target, None) if request.method == "GET" else None
    if form.validate_on_submit():
        try:
            temporary = reset_password(db.session, runtime(), actor, target, client=client_info())
        except ForbiddenError:
            _not_found()
        except ConflictError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            return _acknowledge(actor, target, temporary, "reset")
    return render_template("enterprises/confirm_reset.html", form=form, target=target, error=error)


@bp.post("/entreprise/utilisateurs/<int:account_id>/designation")
@roles_required(*_MANAGERS)
def designate(account_id: int) -> Response:
    """The authorized representative designates an ESM (needs a recent code) or withdraws it."""
    actor = current_account()
    target = _target(account_id)
    form = DesignationForm()
    if not form.validate_on_submit():
        abort(400)
    make_esm = form.make_esm.data == "1"
    try:
        designate_esm(
            db.session,
            runtime(),
            actor,
            target,
            make_esm,
            verified_at=code_verified_at(),
            client=client_info(),
        )
    except StepUpRequiredError:
        db.session.rollback()
        return step_up_redirect(url_for("enterprises.user", account_id=target.id))
    except ForbiddenError:
        _not_found()
    db.session.commit()
    if make_esm:
        flash(_("%(name)s is now an electronic services manager.", name=target.display_name))
    else:
        flash(_("%(name)s is no longer an electronic services manager.", name=target.display_name))
    return redirect(url_for("enterprises.user", account_id=target.id))


# -- what a file allows --------------------------------------------------------------------


@dataclass(frozen=True)
class FileActions:
    """The buttons of a user file page, from the policies and the file's status."""

    edit: bool = False
    suspend: bool = False
    reactivate: bool = False
    cancel: bool = False
    reset_password: bool = False
    designate: bool = False
    withdraw: bool = False

    @property
    def any(self) -> bool:
        return any(vars(self).values())


def file_actions(actor: Account, target: Account) -> FileActions:
    """What ``actor`` may do with ``target`` now; a cancelled file allows nothing."""
    if target.status == AccountStatus.CANCELLED:
        return FileActions()
    editable = can_edit_user_file(actor, target)
    suspendable = can_suspend(actor, target)
    designates = can_designate_esm(actor, target)
    return FileActions(
        edit=editable,
        suspend=suspendable and target.status == AccountStatus.ACTIVE,
        reactivate=suspendable and target.status == AccountStatus.SUSPENDED,
        cancel=can_cancel_user_file(actor, target),
        reset_password=can_reset_password_of(actor, target),
        designate=designates and target.role == AccountRole.USER,
        withdraw=designates and target.role == AccountRole.ESM,
    )


def _status_conflict(target: Account, status: AccountStatus | None) -> str | None:
    """Why the confirmation page cannot go ahead (the service says the same on submit)."""
    if target.status == AccountStatus.CANCELLED:
        return _("A cancelled user file cannot be changed.")
    if status is not None and target.status == status:
        return _("The user file already has this status.")
    return None


_STATUS_DONE = {
    AccountStatus.SUSPENDED: lambda: _(
        "The user file is suspended: the person's sessions have ended and they cannot sign in."
    ),
    AccountStatus.ACTIVE: lambda: _("The user file is reactivated: the person can sign in again."),
    AccountStatus.CANCELLED: lambda: _(
        "The user file is cancelled: the person's sessions have ended for good."
    ),
}


# -- helpers -------------------------------------------------------------------------------


def _not_found() -> NoReturn:
    db.session.rollback()
    abort(404)


def _enterprise() -> Enterprise:
    enterprise = current_account().enterprise
    if enterprise is None:
        _not_found()
    return enterprise


def _target(account_id: int) -> Account:
    try:
        return find_user_file(db.session, current_account(), account_id)
    except NotFoundError:
        _not_found()


def _creatable_roles(actor: Account) -> list[AccountRole]:
    """An ESM creates users and ESMs; the authorized representative only designates ESMs."""
    if can_manage(actor, actor.enterprise_id):
        return [AccountRole.USER, AccountRole.ESM]
    if is_representative_of(actor, actor.enterprise_id):
        return [AccountRole.ESM]
    return []


def _draft() -> UserFileDraft | None:
    return UserFileDraft.from_session(session.get(DRAFT_KEY), current_account().id)


def _draft_form(draft: UserFileDraft, actor: Account) -> NewUserFileForm:
    form = NewUserFileForm(formdata=None, data=draft.form_values())
    form.limit_roles(_creatable_roles(actor))
    return form


def _render_new(form: NewUserFileForm, error: str | None) -> str:
    return render_template("enterprises/new.html", form=form, error=error, enterprise=_enterprise())


def _acknowledge(actor: Account, target: Account, temporary_password: str, kind: str) -> str:
    """The acknowledgement, as the answer to the POST itself.

    The temporary password exists in clear only in this one response (no-store): never in the
    session cookie, the database or a later page. Reloading re-posts a spent draft or asks
    for confirmation again, and the acknowledgement URL shows that it cannot be displayed again.
    """
    shown: dict[str, Any] = {
        "actor_id": actor.id,
        "account_id": target.id,
        "kind": kind,
        "name": target.display_name,
        "user_code": target.user_code,
        "temporary_password": temporary_password,
    }
    return _render_acknowledgement(shown)
