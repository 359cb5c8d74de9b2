"""Back-channel endpoints: token, UserInfo, revocation, introspection.

They are called by relying parties' servers, not by browsers: no CSRF token (they carry client
authentication or a bearer token instead), JSON answers that are never cached, and none of the
work of a page (idp/web/machine.py).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2 import OAuth2Error
from flask import jsonify, request
from joserfc import jwt
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from idp.claims.identity import oidc_claims
from idp.extensions import db
from idp.oidc import issuance
from idp.oidc.models import TokenKind
from idp.oidc.parameters import check_parameters
from idp.oidc.server import provider_server
from idp.oidc.views.common import (
    INTROSPECTION_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
    USERINFO_PATH,
    bp,
)
from idp.web.context import runtime
from idp.web.machine import machine_endpoint

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]
# Per client address; a relying party's back-end makes a handful of calls per sign-in.
BACK_CHANNEL_LIMIT = "300/minute"


@bp.post(TOKEN_PATH)
@machine_endpoint(BACK_CHANNEL_LIMIT)
def token() -> Response:
    refused = refused_parameters()
    if refused is not None:
        return refused
    response = provider_server().create_token_response()
    # Also on errors: a replayed code or refresh token revokes its grant, and that must stay.
    db.session.commit()
    return no_store(response)


@bp.post(REVOCATION_PATH)
@machine_endpoint(BACK_CHANNEL_LIMIT)
def revoke() -> Response:
    refused = refused_parameters()
    if refused is not None:
        return refused
    response = provider_server().create_endpoint_response("revocation")
    db.session.commit()
    return no_store(response)


@bp.post(INTROSPECTION_PATH)
@machine_endpoint(BACK_CHANNEL_LIMIT)
def introspect() -> Response:
    refused = refused_parameters()
    if refused is not None:
        return refused
    response = provider_server().create_endpoint_response("introspection")
    db.session.commit()
    return no_store(response)


@bp.route(USERINFO_PATH, methods=["GET", "POST"])
@machine_endpoint(BACK_CHANNEL_LIMIT)
def userinfo() -> Response:
    """OIDC Core 5.3: the claims of the access token's scopes, read fresh from the rights."""
    value = _bearer_token()
    if value is None:
        return _bearer_error(401, None, "")
    rt = runtime()
    claims = _verified_access_token(value)
    record = (
        issuance.find_token(db.session, TokenKind.ACCESS, str(claims.get("jti")))
        if claims
        else None
    )
    if claims is None or record is None or record.revoked_at is not None:
        return _bearer_error(401, "invalid_token", "The access token is not valid.")
    grant = record.grant
    client = rt.registry.client(grant.client_id)
    check = issuance.check_grant(db.session, rt, grant, client)
    if not check.usable:
        return _bearer_error(401, "invalid_token", "The access token is no longer valid.")
    scopes = frozenset(str(claims.get("scope", "")).split())
    if check.identity is None or "openid" not in scopes:
        return _bearer_error(403, "insufficient_scope", "The token has no 'openid' scope.")
    body = oidc_claims(check.identity, scopes)
    db.session.commit()
    return no_store(jsonify(body))


def refused_parameters() -> Response | None:
    """A body out of bounds (idp/oidc/parameters.py): ``invalid_request`` before authlib reads
    it, so that no value comes back quoted in a description (``grant_type=… is not
    supported``) and none reaches the database."""
    try:
        check_parameters(request.form)
    except OAuth2Error as error:
        return no_store(provider_server().handle_error_response(None, error))
    return None


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    # RFC 6750 2.2: in a form body, POST only.
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("access_token") or None
    return None


def _verified_access_token(value: str) -> dict[str, Any] | None:
    rt = runtime()
    try:
        token = jwt.decode(value, rt.keystore.key_set(), algorithms=SIGNING_ALGORITHMS)
    except (JoseError, ValueError):
        return None
    if token.header.get("typ") != "at+jwt":
        return None
    claims = dict(token.claims)
    now = issuance.timestamp(rt.clock())
    exp = claims.get("exp")
    if claims.get("iss") != rt.settings.issuer or not isinstance(exp, int) or exp <= now:
        return None
    return claims


def _bearer_error(status: int, error: str | None, description: str) -> Response:
    challenge = 'Bearer realm="clicsequr"'
    if error:
        challenge += f', error="{error}", error_description="{description}"'
    response = jsonify({"error": error or "invalid_request", "error_description": description})
    response.status_code = status
    response.headers["WWW-Authenticate"] = challenge
    return no_store(response)


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
