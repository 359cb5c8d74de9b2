"""Settings of the IQEA site: environment variables with defaults, overridden by a dict.

=====================  ===================================  ======================================
Variable               Default                              Meaning
=====================  ===================================  ======================================
IQEA_IDP_ISSUER        http://localhost:5000                the provider (discovery is read there)
IQEA_BASE_URL          http://localhost:5001                where this site is served
IQEA_INSTANCE_DIR      instance/demo/iqea                   key pair, secret key, SQLite database
IQEA_CLIENT_ID         iqea                                 the client id registered at the provider
=====================  ===================================  ======================================

The other settings (``IQEA_SESSION_IDLE_SECONDS``, ``IQEA_CLOCK``, ...) are those of every site:
:mod:`demo_rp.common.site`.
"""

from __future__ import annotations

PREFIX = "IQEA"
ENVIRONMENT_DEFAULTS: dict[str, str] = {
    "IDP_ISSUER": "http://localhost:5000",
    "BASE_URL": "http://localhost:5001",
    "INSTANCE_DIR": "instance/demo/iqea",
    "CLIENT_ID": "iqea",
}

# What the site asks for: who the person is, for which enterprise, and the two IQEA rights.
OPERATOR_RIGHT = "melccfp.iqea.operator"
VERIFIER_RIGHT = "melccfp.iqea.verifier"
IQEA_RIGHTS = (OPERATOR_RIGHT, VERIFIER_RIGHT)
SCOPES = ("openid", "profile", "email", "enterprise", *IQEA_RIGHTS)
