"""Settings of the pesticide certificate site: environment variables with defaults.

=========================  =============================  =========================================
Variable                   Default                        Meaning
=========================  =============================  =========================================
PESTICIDES_IDP_ISSUER      http://localhost:5000          the provider (discovery is read there)
PESTICIDES_BASE_URL        http://localhost:5003          where this site is served
PESTICIDES_INSTANCE_DIR    instance/demo/pesticides       P-256 key, secret key, SQLite database
PESTICIDES_CLIENT_ID       pesticides                     the client id registered at the provider
=========================  =============================  =========================================

The other settings (``PESTICIDES_SESSION_IDLE_SECONDS``, ``PESTICIDES_CLOCK``, ...) are those of
every site: :mod:`demo_rp.common.site`.
"""

from __future__ import annotations

from typing import Literal

PREFIX = "PESTICIDES"
ENVIRONMENT_DEFAULTS: dict[str, str] = {
    "IDP_ISSUER": "http://localhost:5000",
    "BASE_URL": "http://localhost:5003",
    "INSTANCE_DIR": "instance/demo/pesticides",
    "CLIENT_ID": "pesticides",
}

# A citizen service: who the person is and how to reach them; no enterprise, no rights.
SCOPES = ("openid", "profile", "email")

# The client key (private_key_jwt) and the ID tokens: ES256, as registered
# (demo_rp/registrations/pesticides.toml).
CLIENT_KEY_FILE = "pesticides-client-key.pem"
CLIENT_KEY_ALG: Literal["ES256"] = "ES256"
ID_TOKEN_ALG = "ES256"  # noqa: S105 (an algorithm name)

COOKIE_NAME = "pesticides_session"
LANGUAGE_COOKIE = "pesticides_lang"
DATABASE_FILE = "pesticides.sqlite3"
