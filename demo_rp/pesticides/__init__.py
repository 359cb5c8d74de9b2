"""« Demande de certificat pour l'utilisation de pesticides » of the MELCCFP: a demo citizen site.

The only citizen service of the ministry: a person who applies pesticides themselves (on their
own farm, woodlot or property) signs in through the provider (OpenID Connect,
``private_key_jwt`` with a P-256 key, PKCE), fills in an application, reviews it and submits it;
« Mes demandes » lists theirs. ``python -m demo_rp.pesticides`` serves it at http://localhost:5003.
What it shares with IQEA is in :mod:`demo_rp.common`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from demo_rp.common import SiteProfile, create_site
from demo_rp.pesticides import views
from demo_rp.pesticides.config import (
    CLIENT_KEY_ALG,
    CLIENT_KEY_FILE,
    COOKIE_NAME,
    DATABASE_FILE,
    ENVIRONMENT_DEFAULTS,
    ID_TOKEN_ALG,
    LANGUAGE_COOKIE,
    PREFIX,
    SCOPES,
)
from demo_rp.pesticides.extensions import Services
from demo_rp.pesticides.i18n import TEXTS
from demo_rp.pesticides.identity import person_from, refuse_enterprise_claims
from demo_rp.pesticides.storage import SCHEMA

__all__ = ["PROFILE", "create_app"]

PROFILE = SiteProfile(
    prefix=PREFIX,
    environment_defaults=ENVIRONMENT_DEFAULTS,
    session_cookie=COOKIE_NAME,
    language_cookie=LANGUAGE_COOKIE,
    texts=TEXTS,
    scopes=SCOPES,
    person_from=person_from,
    client_key_file=CLIENT_KEY_FILE,
    client_key_alg=CLIENT_KEY_ALG,
    database_file=DATABASE_FILE,
    schema=SCHEMA,
    id_token_alg=ID_TOKEN_ALG,
    check_claims=refuse_enterprise_claims,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The site; ``config`` overrides the environment (``PESTICIDES_*``) and Flask settings."""
    return create_site(__name__, PROFILE, config, pages=views.bp, services_class=Services)
