"""authlib's authorization server with this provider's hooks filled in.

authlib owns the protocol (request validation, error responses, grant dispatch, PKCE, client
authentication); the classes here say where codes and tokens are kept, what a token says and
when a grant stops working.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from authlib.common.encoding import to_native, urlsafe_b64encode
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from idp.accounts.models import Account, UserSession
from idp.extensions import db
from idp.oidc import issuance
from idp.oidc.acr import acr_of
from idp.oidc.client_keys import ClientKeysUnavailableError, fetch_jwks
from idp.oidc.client_secret_basic import authenticate_client_secret_basic
from idp.oidc.clients import RegisteredClient
from idp.oidc.issuance import RevokeReason, TokenSubject
from idp.oidc.models import AuthorizationCode, Grant, UsedClientAssertion
from idp.relying_parties import OidcClient
from idp.runtime import Runtime

logger = logging.getLogger(__name__)

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
ASSERTION_ALGORITHMS = ["RS256", "PS256", "ES256"]
# How far a client's clock may be from the provider's: an assertion's `iat` (and `nbf`) may be
# this far ahead, its `exp` this far behind. Machines kept by NTP differ by far less; a larger
# allowance only lengthens the life of an expired assertion.
CLOCK_LEEWAY_SECONDS = 30
# Longer `jti` values are refused before they are hashed or stored: libraries make 32 to 48
# characters, and nothing is gained by letting a client choose how much the provider hashes.
MAX_JTI_LENGTH = 256
# NumericDates beyond the year 9999 cannot be dates here (datetime's range), and a larger JSON
# integer would overflow the float it is compared as.
MAX_NUMERIC_DATE = 253402300799

SERVER_KEY = "idp.oidc.server"


def _runtime() -> Runtime:
    return cast(Runtime, current_app.extensions["idp.runtime"])


@dataclass
class AuthorizedUser:
    """The person an authorization code is issued for, as the authorize page decided it."""

    user_session: UserSession
    enterprise_id: int | None
    ministry_key: str
    scope: str


# -- grants -----------------------------------------------------------------------------------


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        runtime = _runtime()
        user = cast(AuthorizedUser, request.user)
        user_session = user.user_session
        payload = request.payload.data
        now = runtime.clock()
        db.session.add(
            AuthorizationCode(
                code_hash=issuance.token_hash(code),
                client_id=request.client.client_id,
                account_id=user_session.account_id,
                session_id=user_session.id,
                enterprise_id=user.enterprise_id,
                ministry_key=user.ministry_key,
                redirect_uri=request.payload.redirect_uri,
                scope=user.scope,
                nonce=payload.get("nonce"),
                code_challenge=payload.get("code_challenge"),
                code_challenge_method=payload.get("code_challenge_method"),
                auth_time=user_session.authenticated_at,
                acr=acr_of(user_session.amr),
                amr=user_session.amr,
                created_at=now,
                expires_at=now + timedelta(seconds=runtime.settings.oidc_code_lifetime_seconds),
            )
        )
        db.session.flush()

    def query_authorization_code(self, code: str, client: RegisteredClient) -> _CodeView | None:
        runtime = _runtime()
        found = db.session.scalars(
            select(AuthorizationCode).where(
                AuthorizationCode.code_hash == issuance.token_hash(code)
            )
        ).one_or_none()
        if found is None or found.client_id != client.client_id:
            return None
        if found.used_at is not None:
            # A second use: whatever the first one obtained is revoked (RFC 6749 4.1.2).
            _revoke_code_grant(runtime, found)
            return None
        if runtime.clock() >= found.expires_at:
            return None
        return _CodeView(found)

    def delete_authorization_code(self, authorization_code: _CodeView) -> None:
        # Already consumed by authenticate_user; kept (hashed) so that a replay is recognised.
        pass

    def authenticate_user(self, authorization_code: _CodeView) -> TokenSubject | None:
        runtime = _runtime()
        code = authorization_code.row
        consumed = db.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == code.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=runtime.clock())
        )
        if int(getattr(consumed, "rowcount", 0) or 0) != 1:
            # Lost a race with a simultaneous redemption of the same code.
            raise InvalidGrantError("The code has already been used.")
        account = db.session.get(Account, code.account_id)
        user_session = db.session.get(UserSession, code.session_id)
        if account is None or user_session is None or not user_session.is_authenticated:
            raise InvalidGrantError("The sign-in this code came from has ended.")
        grant = issuance.create_user_grant(
            db.session,
            runtime,
            client_id=code.client_id,
            account_id=code.account_id,
            session_id=code.session_id,
            enterprise_id=code.enterprise_id,
            ministry_key=code.ministry_key,
            scope=code.scope,
            auth_time=code.auth_time,
            acr=code.acr,
            amr=code.amr,
        )
        code.grant_id = grant.id
        client = runtime.registry.client(code.client_id)
        check = issuance.check_grant(db.session, runtime, grant, client)
        if not check.usable or check.identity is None:
            issuance.revoke_grant(db.session, runtime, grant, RevokeReason.RIGHTS_LOST)
            raise InvalidGrantError("The person no longer holds rights at this ministry.")
        return TokenSubject(grant=grant, account=account, identity=check.identity)


class _CodeView:
    """An authorization code row as authlib's ``AuthorizationCodeMixin`` reads it."""

    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return issuance.timestamp(self.row.auth_time)

    def get_acr(self) -> str:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return self.row.amr.split()


def _revoke_code_grant(runtime: Runtime, code: AuthorizationCode) -> None:
    if code.grant_id is not None:
        grant = db.session.get(Grant, code.grant_id)
        if grant is not None:
            issuance.revoke_grant(db.session, runtime, grant, RevokeReason.CODE_REPLAY)
    logger.warning("authorization code replayed by %s", code.client_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    # Rotation at every use (RFC 9700 4.14.2).
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> _RefreshView | None:
        runtime = _runtime()
        found = issuance.find_refresh_token_locked(db.session, issuance.token_hash(refresh_token))
        if found is None:
            return None
        row = found.token
        if row.used_at is not None:
            # A rotated token used again: it was stolen or copied; the family ends here.
            issuance.revoke_grant(db.session, runtime, row.grant, RevokeReason.REFRESH_REUSE)
            return None
        if row.revoked_at is not None or row.grant.is_revoked:
            return None
        if runtime.clock() >= row.expires_at:
            return None
        return _RefreshView(found)

    def authenticate_user(self, refresh_token: _RefreshView) -> TokenSubject:
        runtime = _runtime()
        row = refresh_token.row
        grant = row.grant  # locked since authenticate_refresh_token found it
        if not issuance.consume_refresh_token(db.session, runtime, row):
            issuance.revoke_grant(db.session, runtime, grant, RevokeReason.REFRESH_REUSE)
            raise InvalidGrantError("The refresh token has already been used.")
        client = runtime.registry.client(grant.client_id)
        check = issuance.check_grant(db.session, runtime, grant, client)
        if not check.usable or check.identity is None:
            issuance.revoke_grant(db.session, runtime, grant, RevokeReason.RIGHTS_LOST)
            raise InvalidGrantError("The person no longer holds rights at this ministry.")
        account = db.session.get(Account, grant.account_id)
        return TokenSubject(grant=grant, account=account, identity=check.identity)

    def issue_token(self, user: TokenSubject, refresh_token: _RefreshView) -> dict[str, Any]:
        # A narrower scope may be asked for (authlib checked it is within the grant's).
        scope = self.request.payload.scope or refresh_token.get_scope()
        scope = issuance.narrowed_scope(scope, user.identity)
        return cast(
            dict[str, Any],
            self.generate_token(user=user, scope=scope, include_refresh_token=True),
        )

    def revoke_old_credential(self, refresh_token: _RefreshView) -> None:
        # Consumed (used_at set) in authenticate_user, under the compare-and-set.
        pass


class _RefreshView:
    def __init__(self, found: issuance.FoundRefreshToken) -> None:
        self.found = found
        self.row = found.token

    def check_client(self, client: RegisteredClient) -> bool:
        return bool(self.row.grant.client_id == client.client_id)

    def get_scope(self) -> str:
        return str(self.row.grant.scope)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        runtime = _runtime()
        client = cast(RegisteredClient, self.request.client).registration
        scope = client_credentials_scope(client, self.request.payload.scope)
        grant = issuance.client_grant(runtime, client, scope)
        self.request.user = TokenSubject(grant=grant, account=None, identity=None)
        token = self.generate_token(
            user=self.request.user, scope=scope, include_refresh_token=False
        )
        issuance.record_client_token(db.session, runtime, grant, token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


def client_credentials_scope(client: OidcClient, requested: str | None) -> str:
    """What a back-end may be given: only the management scopes of its registration
    (docs/management-api.md). Every other registered scope (identity, rights) is about a
    person, and a back-end acts for itself."""
    asked = (requested or "").split()
    if not asked:
        return ""
    if not set(asked) <= set(client.management_scopes):
        raise InvalidScopeError(
            "client_credentials carries no person's scope or right, and only the management "
            "scopes registered for the client."
        )
    # Each once, in the registration's order: the token says the same whatever the request's.
    return " ".join(s for s in client.management_scopes if s in asked)


# -- extensions -------------------------------------------------------------------------------


class S256CodeChallenge(CodeChallenge):
    """PKCE: S256 only (``plain`` is refused), required of every client (RFC 9700 2.1.1).

    A confidential client registered with ``require_pkce = false`` may leave it out; when it
    sends a challenge, the challenge is checked as anyone's. Public clients cannot opt out.
    """

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        client = cast(RegisteredClient, grant.request.client)
        if client.registration.require_pkce and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a 'code_challenge' (S256).")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class ProviderOpenIDCode(OpenIDCode):
    """The ID token: signed with the client's algorithm by the current key of that type."""

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        found = db.session.scalar(
            select(AuthorizationCode.id).where(
                AuthorizationCode.client_id == request.payload.client_id,
                AuthorizationCode.nonce == nonce,
            )
        )
        return found is not None

    def process_token(self, grant: Any, response: tuple[int, dict[str, Any], Any]) -> Any:
        _status, token, _headers = response
        if "openid" not in str(token.get("scope", "")).split():
            return token
        runtime = _runtime()
        request = grant.request
        client = cast(RegisteredClient, request.client).registration
        subject = cast(TokenSubject, request.user)
        code = request.authorization_code.row
        user_session = db.session.get(UserSession, code.session_id)
        alg = client.id_token_signed_response_alg
        claims = issuance.id_token_claims(
            runtime,
            client,
            subject,
            scope=token["scope"],
            nonce=code.nonce,
            sid=user_session.sid if user_session else None,
            at_hash=_half_hash(token["access_token"], alg),
        )
        token["id_token"] = issuance.sign(runtime, alg, claims, "JWT")
        return token


def _half_hash(value: str, alg: str) -> str:
    """``at_hash`` (OIDC Core 3.1.3.6): the left half of the SHA-256 of the token."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return to_native(urlsafe_b64encode(digest[: len(digest) // 2]))


class PrivateKeyJwtAuthentication(JWTBearerClientAssertion):
    """``private_key_jwt`` (OIDC Core 9, RFC 7523): asymmetric algorithms only, one use each."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self) -> None:
        super().__init__(validate_jti=True, leeway=CLOCK_LEEWAY_SECONDS)

    def __call__(self, query_client: Any, request: OAuth2Request) -> Any:
        client = super().__call__(query_client, request)
        named = request.form.get("client_id")
        if client is not None and named is not None and named != client.client_id:
            # RFC 7521 4.2: a client_id beside the assertion must name the same client.
            raise InvalidClientError(description="'client_id' differs from the assertion.")
        return client

    def get_audiences(self) -> list[str]:
        issuer = _runtime().settings.issuer
        # RFC 9126 2: the pushed authorization request endpoint's address is accepted too.
        return [issuer, f"{issuer}/oidc/token", f"{issuer}/oidc/par"]

    def resolve_client_public_key(self, client: RegisteredClient) -> KeySet:
        registration = client.registration
        if registration.token_endpoint_auth_method != self.CLIENT_AUTH_METHOD:
            raise InvalidClientError(description="This client does not use private_key_jwt.")
        try:
            return client_key_set(registration)
        except (ClientKeysUnavailableError, ValueError, JoseError) as exc:
            logger.warning("keys of %s unavailable: %s", registration.client_id, exc)
            raise InvalidClientError(description="The client's keys cannot be read.") from exc

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            # The algorithm list is fixed here: `none` and HMAC (a public key used as a
            # shared secret) can never verify.
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(description="The client assertion is not valid.") from exc
        claims = dict(token.claims)
        runtime = _runtime()
        check_assertion_times(
            claims,
            now=issuance.timestamp(runtime.clock()),
            max_lifetime=runtime.settings.oidc_client_assertion_max_lifetime_seconds,
        )
        self._verify_registered_claims(claims)
        return claims

    def _verify_registered_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("iss") != claims.get("sub"):
            raise InvalidClientError(description="Issuer and subject must be the client id.")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not set(audiences) & set(self.get_audiences()):
            raise InvalidClientError(description="The client assertion is for another audience.")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise InvalidClientError(description="The client assertion needs a 'jti'.")
        if len(jti) > MAX_JTI_LENGTH:
            raise InvalidClientError(
                description=f"The client assertion's 'jti' is longer than {MAX_JTI_LENGTH} "
                "characters."
            )
        if not self.validate_jti(claims, jti):
            raise InvalidClientError(description="The client assertion has been used before.")

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        """Record the ``jti`` (RFC 7523 3, item 7) until the assertion can no longer be used.

        The row lives until the assertion's own ``exp`` plus the leeway: a replay before then
        is refused here, one after it as expired. ``idp lifecycle run`` deletes it a day later.
        """
        key = hashlib.sha256(f"{claims['sub']}\x00{jti}".encode()).hexdigest()
        expires_at = datetime.fromtimestamp(claims["exp"] + CLOCK_LEEWAY_SECONDS, UTC)
        try:
            with db.session.begin_nested():
                db.session.add(UsedClientAssertion(key=key, expires_at=expires_at))
        except IntegrityError:
            return False
        return True


def check_assertion_times(claims: dict[str, Any], *, now: int, max_lifetime: int) -> None:
    """``exp`` required, ``iat`` and ``nbf`` optional (RFC 7523 3), within the clock leeway,
    and no longer-lived than ``IDP_OIDC_CLIENT_ASSERTION_MAX_LIFETIME_SECONDS``."""
    exp = _numeric_date(claims, "exp")
    if exp is None:
        raise InvalidClientError(description="The client assertion needs an 'exp'.")
    iat = _numeric_date(claims, "iat")
    nbf = _numeric_date(claims, "nbf")
    if iat is not None and iat > now + CLOCK_LEEWAY_SECONDS:
        raise InvalidClientError(description="The client assertion is issued in the future.")
    if nbf is not None and nbf > now + CLOCK_LEEWAY_SECONDS:
        raise InvalidClientError(description="The client assertion is not valid yet ('nbf').")
    if exp <= now - CLOCK_LEEWAY_SECONDS:
        raise InvalidClientError(description="The client assertion has expired.")
    if iat is not None and exp - iat > max_lifetime:
        raise InvalidClientError(
            description=f"The client assertion lives longer than {max_lifetime} seconds "
            "('exp' - 'iat')."
        )
    if iat is None and exp - now > max_lifetime:
        raise InvalidClientError(
            description=f"The client assertion without 'iat' expires more than {max_lifetime} "
            "seconds from now."
        )


def _numeric_date(claims: dict[str, Any], name: str) -> float | None:
    """A NumericDate claim (RFC 7519 2): a finite JSON number, or None when absent."""
    value = claims.get(name)
    if value is None:
        return None
    # bool is an int to Python; NaN and infinities get through json.loads and past comparisons.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
        or abs(value) > MAX_NUMERIC_DATE
    ):
        raise InvalidClientError(description=f"The client assertion's '{name}' is not a number.")
    return float(value)


def client_key_set(registration: Any) -> KeySet:
    """The client's public keys: registered inline, or fetched from its ``jwks_uri``."""
    if registration.jwks is not None:
        return KeySet.import_key_set(cast(Any, registration.jwks))
    return KeySet.import_key_set(cast(Any, fetch_jwks(registration.jwks_uri)))


# -- the server -------------------------------------------------------------------------------


class ProviderServer(AuthorizationServer):
    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        # One already built is used as it is: a pushed request's stored parameters (RFC 9126)
        # in place of the browser's query. (authlib's Flask integration would read the query.)
        if isinstance(request, OAuth2Request):
            return request
        return cast(OAuth2Request, super().create_oauth2_request(request))

    def query_client(self, client_id: str) -> RegisteredClient | None:
        if not isinstance(client_id, str):
            return None
        registration = _runtime().registry.client(client_id)
        return RegisteredClient(registration) if registration else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        subject = cast(TokenSubject, request.user)
        issuance.record_tokens(db.session, _runtime(), subject.grant, token)


def generate_token(
    grant_type: str,
    client: RegisteredClient,
    user: TokenSubject | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    """The token response: a signed JWT access token (RFC 9068), a random refresh token."""
    runtime = _runtime()
    if user is None:
        raise RuntimeError("tokens are only issued through a grant")
    registration = client.registration
    scope = scope or ""
    user_session = (
        db.session.get(UserSession, user.grant.session_id) if user.grant.session_id else None
    )
    claims, jti = issuance.access_token_claims(runtime, registration, user, scope, user_session)
    token: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": issuance.sign(
            runtime, registration.id_token_signed_response_alg, claims, "at+jwt"
        ),
        "expires_in": runtime.settings.oidc_access_token_lifetime_seconds,
        "scope": scope,
        "_jti": jti,
    }
    if "authorization_details" in claims:
        token["authorization_details"] = claims["authorization_details"]
    if include_refresh_token and "refresh_token" in registration.grant_types:
        token["refresh_token"] = secrets.token_urlsafe(32)
    return token


def create_server(app: Flask) -> ProviderServer:
    server = ProviderServer()
    server.init_app(app)
    server.register_token_generator("default", generate_token)
    server.register_client_auth_method("client_secret_basic", authenticate_client_secret_basic)
    server.register_client_auth_method("private_key_jwt", PrivateKeyJwtAuthentication())
    server.register_grant(
        AuthorizationCodeGrant, [S256CodeChallenge(required=True), ProviderOpenIDCode()]
    )
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    from idp.oidc.endpoints import IntrospectionEndpoint, RevocationEndpoint
    from idp.oidc.views.end_session import EndSessionEndpoint

    server.register_endpoint(RevocationEndpoint)
    server.register_endpoint(IntrospectionEndpoint)
    server.register_endpoint(EndSessionEndpoint)
    app.extensions[SERVER_KEY] = server
    return server


def provider_server() -> ProviderServer:
    return cast(ProviderServer, current_app.extensions[SERVER_KEY])
