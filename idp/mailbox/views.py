"""The mailbox pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mailbox", __name__)
