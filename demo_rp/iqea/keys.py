"""IQEA's client key: RSA, RS256, made on first run in the instance directory
(:mod:`demo_rp.common.keys`), with Flask's ``secret_key`` beside it."""

from __future__ import annotations

from typing import Literal

CLIENT_KEY_FILE = "iqea-client-key.pem"
CLIENT_KEY_ALG: Literal["RS256"] = "RS256"
