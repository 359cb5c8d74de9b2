"""The mailbox pages: the messages the provider posted to the signed-in person."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from idp.errors import ForbiddenError, NotFoundError
from idp.extensions import db
from idp.mailbox.services import messages_of, open_message
from idp.web.context import current_account, login_required, runtime

bp = Blueprint("mailbox", __name__)


@bp.get("/messages")
@login_required
def index() -> str:
    """The person's messages, newest first; unread ones stand out."""
    return render_template(
        "mailbox/index.html", messages=messages_of(db.session, current_account().id)
    )


@bp.get("/messages/<int:message_id>")
@login_required
def read(message_id: int) -> str:
    """One message, marked read; another person's message is not found."""
    try:
        message = open_message(db.session, runtime(), current_account().id, message_id)
    except (ForbiddenError, NotFoundError):
        db.session.rollback()
        abort(404)
    db.session.commit()
    return render_template("mailbox/read.html", message=message)
