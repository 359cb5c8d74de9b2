"""IQEA's server-side sessions (:mod:`demo_rp.common.sessions`) behind ``iqea_session``."""

from __future__ import annotations

COOKIE_NAME = "iqea_session"
