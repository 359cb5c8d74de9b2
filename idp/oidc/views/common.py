"""The blueprint of the OpenID Connect endpoints and what its views share."""

from __future__ import annotations

from flask import Blueprint

from idp.oidc.published import JWKS_PATH as JWKS_PATH  # served before Flask sees it

bp = Blueprint("oidc", __name__)

AUTHORIZE_PATH = "/oidc/authorize"
TOKEN_PATH = "/oidc/token"  # noqa: S105 (a path)
USERINFO_PATH = "/oidc/userinfo"
REVOCATION_PATH = "/oidc/revoke"
INTROSPECTION_PATH = "/oidc/introspect"
END_SESSION_PATH = "/oidc/logout"
PAR_PATH = "/oidc/par"


def endpoint_url(issuer: str, path: str) -> str:
    return f"{issuer}{path}"
