"""The home page of a signed-in person."""

from __future__ import annotations

from flask import Blueprint, render_template

from idp.accounts.forms import SignOutForm
from idp.web.context import login_required, runtime, signed_in_session

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    """Who is signed in, for which enterprise, and when the previous access was."""
    user_session = signed_in_session()
    return render_template(
        "home/index.html",
        account=user_session.account,
        enterprise=user_session.account.enterprise,
        ministry=runtime().catalogue.ministry(user_session.account.ministry_key or ""),
        previous_sign_in_at=user_session.previous_sign_in_at,
        public_computer=user_session.public_computer,
        public_idle_minutes=runtime().settings.session_public_idle_timeout_seconds // 60,
        sign_out_form=SignOutForm(),
    )
