"""Proxies: list, add, consult, extend, cancel, assign."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("proxies", __name__)
