"""The demo outbox page. Registered only when IDP_ENV=demo (see idp.create_app)."""

from __future__ import annotations

from flask import Blueprint, render_template

from idp.demo.mailbox import read_captured
from idp.web.context import runtime

bp = Blueprint("demo", __name__, url_prefix="/demo")


@bp.get("/courriels")
def outbox() -> str:
    """Every email the provider sent during the demo, newest first."""
    directory = runtime().settings.instance_dir / "demo-mail"
    return render_template("demo/outbox.html", messages=read_captured(directory))
