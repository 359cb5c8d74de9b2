"""Revocation (RFC 7009) and introspection (RFC 7662), each for the client's own tokens."""

from __future__ import annotations

from typing import Any, cast

from authlib.consts import default_json_headers
from authlib.oauth2.rfc7009 import RevocationEndpoint as BaseRevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as BaseIntrospectionEndpoint
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError

from idp.claims.identity import authorization_details
from idp.db_types import DbSession
from idp.extensions import db
from idp.oidc import issuance
from idp.oidc.clients import RegisteredClient
from idp.oidc.issuance import RevokeReason
from idp.oidc.models import IssuedToken, TokenKind
from idp.runtime import Runtime

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]
CONFIDENTIAL_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


def _runtime() -> Runtime:
    return cast(Runtime, current_app.extensions["idp.runtime"])


def find_issued_token(
    session: DbSession, runtime: Runtime, value: str, hint: str | None
) -> IssuedToken | None:
    """The stored record of a token value: a refresh token's hash or an access token's jti."""
    kinds = ["refresh_token", "access_token"]
    if hint == "access_token":
        kinds.reverse()
    for kind in kinds:
        found = (
            issuance.find_token(session, TokenKind.REFRESH, issuance.token_hash(value))
            if kind == "refresh_token"
            else _access_token_record(session, runtime, value)
        )
        if found is not None:
            return found
    return None


def _access_token_record(session: DbSession, runtime: Runtime, value: str) -> IssuedToken | None:
    if value.count(".") != 2:
        return None
    try:
        # Signature checked against every published key, so tokens signed before a
        # rotation are still recognised; the expiry is judged from the stored record.
        token = jwt.decode(value, runtime.keystore.key_set(), algorithms=SIGNING_ALGORITHMS)
    except (JoseError, ValueError):
        return None
    jti = token.claims.get("jti")
    if not isinstance(jti, str) or token.claims.get("iss") != runtime.settings.issuer:
        return None
    return issuance.find_token(session, TokenKind.ACCESS, jti)


class RevocationEndpoint(BaseRevocationEndpoint):
    CLIENT_AUTH_METHODS = [*CONFIDENTIAL_METHODS, "none"]

    def authenticate_token(self, request: Any, client: RegisteredClient) -> IssuedToken | None:
        self.check_params(request, client)
        found = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        # Another client's token is treated as unknown: nothing revoked, nothing revealed.
        if found is None or found.grant.client_id != client.client_id:
            return None
        return found

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        return find_issued_token(db.session, _runtime(), token_string, token_type_hint)

    def revoke_token(self, token: IssuedToken, request: Any) -> None:
        runtime = _runtime()
        if token.kind == TokenKind.REFRESH:
            # RFC 7009 2.1: revoking a refresh token ends the access tokens of its grant too.
            issuance.revoke_grant(db.session, runtime, token.grant, RevokeReason.REVOKED_BY_CLIENT)
        elif token.revoked_at is None:
            token.revoked_at = runtime.clock()
        db.session.flush()


class IntrospectionEndpoint(BaseIntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CONFIDENTIAL_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        return find_issued_token(db.session, _runtime(), token_string, token_type_hint)

    def check_permission(self, token: IssuedToken, client: RegisteredClient, request: Any) -> bool:
        return bool(token.grant.client_id == client.client_id)

    def create_endpoint_response(self, request: Any) -> tuple[int, dict[str, Any], Any]:
        client = self.authenticate_endpoint_client(request)
        token = self.authenticate_token(request, client)
        return 200, self._payload(token, client), default_json_headers

    def _payload(self, token: IssuedToken | None, client: RegisteredClient) -> dict[str, Any]:
        runtime = _runtime()
        if token is None or token.revoked_at is not None:
            return {"active": False}
        now = runtime.clock()
        if now >= token.expires_at or (token.kind == TokenKind.REFRESH and token.used_at):
            return {"active": False}
        grant = token.grant
        check = issuance.check_grant(db.session, runtime, grant, client.registration)
        if not check.usable:
            return {"active": False}
        payload: dict[str, Any] = {
            "active": True,
            "token_type": "Bearer" if token.kind == TokenKind.ACCESS else "refresh_token",
            "client_id": grant.client_id,
            "scope": grant.scope,
            "iss": runtime.settings.issuer,
            "aud": grant.client_id,
            "iat": issuance.timestamp(token.created_at),
            "exp": issuance.timestamp(token.expires_at),
        }
        if token.kind == TokenKind.ACCESS:
            payload["jti"] = token.lookup
        identity = check.identity
        if identity is None:
            payload["sub"] = grant.client_id
            return payload
        payload["sub"] = identity.subject
        if grant.auth_time is not None:
            payload["auth_time"] = issuance.timestamp(grant.auth_time)
        if grant.acr:
            payload["acr"] = grant.acr
        details = authorization_details(identity, frozenset(grant.scope.split()))
        if details:
            payload["authorization_details"] = details
        return payload
