"""Registration for ministries' online services and the operators' decisions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ministries", __name__)
