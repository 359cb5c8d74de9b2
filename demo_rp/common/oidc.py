"""The OpenID Connect client: authlib's Flask client, confidential, ``private_key_jwt``.

Code flow with PKCE S256, ``state`` and ``nonce`` (authlib makes and checks them), ``iss`` of the
authorization response compared with the discovered issuer (RFC 9207), the ID token verified
against the provider's JWKS (signature, ``iss``, ``aud``, ``exp``, ``iat``, ``nonce``,
``at_hash``, ``sid``; its ``alg`` the registered one when the profile names it), then its claims
shown to the site's own check (``SiteProfile.check_claims``). Access tokens are renewed with the
refresh token (rotated at every use) and the claims read again from UserInfo, so that rights
gained or lost show at once.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from flask import Flask, current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from demo_rp.common.keys import ClientKey
from demo_rp.common.site import ClaimsRefusedError, profile, setting

logger = logging.getLogger(__name__)

PROVIDER = "clicsequr"
# One minute, though the provider accepts an hour (authlib's default, docs/relying-parties.md):
# an assertion is made for one request, and a short-lived one is worth less to whoever copies it.
ASSERTION_LIFETIME_SECONDS = 60
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"  # noqa: S105 (a media type)
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256")
# Refresh and UserInfo answers meaning "this session is over": sign in again.
SESSION_OVER_ERRORS = frozenset({"invalid_grant", "invalid_token", "unauthorized_client"})


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """authlib's ``private_key_jwt`` with a one-minute assertion carrying the key's ``kid``.

    ``alg`` is the key's (RS256 or ES256).
    """

    def sign(self, auth: Any, token_endpoint: str) -> str:
        key: ClientKey = auth.client_secret
        return str(
            private_key_jwt_sign(
                key,
                client_id=auth.client_id,
                token_endpoint=token_endpoint,
                alg=self.alg,
                header={"kid": key.kid},
                expires_in=ASSERTION_LIFETIME_SECONDS,
            )
        )


class ProviderError(RuntimeError):
    """The provider could not be reached or answered something unusable (try again later)."""


class SessionOverError(RuntimeError):
    """The provider no longer honours this session's tokens: the person signs in again."""


class LogoutTokenError(ValueError):
    """A logout token that must not be acted upon."""


class IdTokenError(ValueError):
    """An ID token that authlib accepted but this site does not (another algorithm)."""


def register_client(app: Flask, client_key: ClientKey) -> FlaskOAuth2App:
    oauth = OAuth(app)
    issuer = setting("IDP_ISSUER", app)
    client = oauth.register(
        name=PROVIDER,
        client_id=setting("CLIENT_ID", app),
        client_secret=client_key,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        # No scope here: authlib would send it again with every refresh, and the provider
        # refuses a scope wider than what it granted (fewer rights than asked, RFC 6749 6).
        client_kwargs={
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": ShortLivedPrivateKeyJWT(alg=client_key.alg),
            "default_timeout": setting("HTTP_TIMEOUT_SECONDS", app),
        },
    )
    return client


def client() -> FlaskOAuth2App:
    oauth: OAuth = current_app.extensions["authlib.integrations.flask_client"]
    return oauth.create_client(PROVIDER)


def metadata() -> dict[str, Any]:
    """The discovery document, whose issuer must be the one configured (Discovery 4.3)."""
    try:
        loaded: dict[str, Any] = client().load_server_metadata()
    except requests.RequestException as error:
        raise ProviderError(f"discovery: {type(error).__name__}") from error
    if loaded.get("issuer") != setting("IDP_ISSUER"):
        raise ProviderError("the discovery document names another issuer")
    return loaded


def _now() -> int:
    return int(setting("CLOCK")().timestamp())


def _leeway() -> int:
    return int(setting("CLOCK_LEEWAY_SECONDS"))


def redirect_uri() -> str:
    return f"{setting('BASE_URL')}/auth/callback"


def post_logout_redirect_uri() -> str:
    return f"{setting('BASE_URL')}/"


def authorization_redirect(language: str) -> Any:
    """Redirect to the provider; authlib keeps state, nonce and code verifier in the session."""
    metadata()
    return client().authorize_redirect(
        redirect_uri(),
        scope=" ".join(profile().scopes),
        ui_locales="en-CA" if language == "en" else "fr-CA",
    )


# -- the callback -----------------------------------------------------------------------------


def id_token_claims_options() -> dict[str, Any]:
    return {
        "iss": {"essential": True, "value": setting("IDP_ISSUER")},
        "aud": {"essential": True, "value": setting("CLIENT_ID")},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "nonce": {"essential": True},
        "sid": {"essential": True},
    }


def complete_sign_in(callback_issuer: str | None) -> dict[str, Any]:
    """Exchange the code and verify everything; the ``auth`` part of the new site session.

    Raises :class:`OAuthError` (refused, state mismatch), :class:`JoseError` or
    :class:`IdTokenError` (ID token), :class:`ClaimsRefusedError` (claims the site refuses) or
    :class:`ProviderError`.
    """
    issuer = metadata()["issuer"]
    if callback_issuer != issuer:
        raise OAuthError(error="invalid_issuer", description="iss of the response differs")
    try:
        token = client().authorize_access_token(
            claims_options=id_token_claims_options(), leeway=_leeway()
        )
    except requests.RequestException as error:
        raise ProviderError(f"token: {type(error).__name__}") from error
    _check_algorithm(token["id_token"])
    id_claims = dict(token["userinfo"])  # authlib's name for the verified ID token claims
    _check_claims(id_claims)
    userinfo = fetch_userinfo(token["access_token"], id_claims["sub"])
    _check_claims(userinfo)
    now = _now()
    return {
        "sub": id_claims["sub"],
        "sid": id_claims["sid"],
        "claims": {**id_claims, **userinfo},
        "id_token": token["id_token"],
        "id_token_claims": id_claims,
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": now + int(token.get("expires_in", 0)),
        "scope": token.get("scope", ""),
        "authorization_details": token.get("authorization_details", []),
        "userinfo": userinfo,
        "signed_in_at": now,
        "refreshed_at": None,
    }


def _check_algorithm(id_token: str) -> None:
    """The ID token is signed with the registered algorithm (``id_token_signed_response_alg``)."""
    expected = profile().id_token_alg
    alg = _header(id_token).get("alg") if id_token.count(".") == 2 else None
    if expected is not None and alg != expected:
        raise IdTokenError(f"ID token signed with {alg}, registered {expected}")


def _check_claims(claims: dict[str, Any]) -> None:
    check = profile().check_claims
    if check is not None:
        check(claims)


def fetch_userinfo(access_token: str, subject: str) -> dict[str, Any]:
    """The UserInfo answer; its ``sub`` must be the ID token's (OIDC Core 5.3.4)."""
    try:
        response = client().get(
            metadata()["userinfo_endpoint"],
            token={"access_token": access_token, "token_type": "Bearer"},
        )
    except requests.RequestException as error:
        raise ProviderError(f"userinfo: {type(error).__name__}") from error
    if response.status_code == 401:
        raise SessionOverError("userinfo: the access token is no longer accepted")
    if response.status_code != 200:
        raise ProviderError(f"userinfo: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as error:
        raise ProviderError("userinfo: not JSON") from error
    if not isinstance(data, dict) or data.get("sub") != subject:
        raise SessionOverError("userinfo: another subject")
    return data


# -- renewing the access token ----------------------------------------------------------------


def needs_refresh(auth: dict[str, Any]) -> bool:
    margin = int(setting("REFRESH_MARGIN_SECONDS"))
    return _now() >= int(auth.get("expires_at", 0)) - margin


def refresh(auth: dict[str, Any]) -> dict[str, Any]:
    """New tokens (the new refresh token replaces the old one) and claims from UserInfo.

    Raises :class:`SessionOverError` when the provider refuses (``invalid_grant``: session
    ended, rights gone, token reused) and :class:`ProviderError` when it cannot be reached.
    """
    if not auth.get("refresh_token"):
        raise SessionOverError("no refresh token")
    try:
        token = client().fetch_access_token(
            grant_type="refresh_token", refresh_token=auth["refresh_token"]
        )
    except OAuthError as error:
        if error.error in SESSION_OVER_ERRORS:
            raise SessionOverError(f"refresh refused: {error.error}") from error
        raise ProviderError(f"refresh: {error.error}") from error
    except requests.RequestException as error:
        raise ProviderError(f"refresh: {type(error).__name__}") from error
    userinfo = fetch_userinfo(token["access_token"], auth["sub"])
    try:
        _check_claims(userinfo)
    except ClaimsRefusedError as refused:
        raise SessionOverError(f"userinfo refused: {refused}") from refused
    now = _now()
    claims = {**auth["id_token_claims"], **userinfo}
    for name, default in profile().renewed_claim_defaults.items():
        if name not in userinfo:
            claims[name] = default
    renewed = dict(auth)
    renewed.update(
        {
            "access_token": token["access_token"],
            "refresh_token": token.get("refresh_token") or auth["refresh_token"],
            "expires_at": now + int(token.get("expires_in", 0)),
            "scope": token.get("scope", ""),
            "authorization_details": token.get("authorization_details", []),
            "userinfo": userinfo,
            # Rights, enterprise and names as the provider knows them now.
            "claims": claims,
            "refreshed_at": now,
        }
    )
    return renewed


# -- back-channel logout ----------------------------------------------------------------------


def _provider_keys(force: bool = False) -> KeySet:
    try:
        return KeySet.import_key_set(client().fetch_jwk_set(force=force))
    except requests.RequestException as error:
        raise ProviderError(f"jwks: {type(error).__name__}") from error


def signed_by_provider(raw: str) -> dict[str, Any]:
    """The claims of a JWT whose signature the provider's JWKS verifies, with an algorithm it
    announces; fetched again once for a ``kid`` not seen yet (a key rotated in). Raises
    :class:`JoseError` or ``ValueError``; the claims are for the caller to check."""
    algorithms = [
        alg
        for alg in metadata().get("id_token_signing_alg_values_supported", SIGNING_ALGORITHMS)
        if alg in SIGNING_ALGORITHMS
    ]
    try:
        token = jwt.decode(raw, _provider_keys(), algorithms=algorithms)
    except InvalidKeyIdError:
        token = jwt.decode(raw, _provider_keys(force=True), algorithms=algorithms)
    return dict(token.claims)


def verify_logout_token(raw: str) -> dict[str, Any]:
    """The claims of a valid logout token (Back-Channel Logout 1.0, 2.6), or LogoutTokenError."""
    if not raw or raw.count(".") != 2:
        raise LogoutTokenError("not a signed JWT")
    header = _header(raw)
    if header.get("typ") != LOGOUT_TOKEN_TYPE:
        raise LogoutTokenError("typ must be logout+jwt")
    try:
        claims = signed_by_provider(raw)
    except (JoseError, ValueError) as error:
        raise LogoutTokenError(f"signature: {type(error).__name__}") from error
    now = _now()
    registry = JWTClaimsRegistry(
        now=now,
        leeway=_leeway(),
        iss={"essential": True, "value": setting("IDP_ISSUER")},
        aud={"essential": True, "value": setting("CLIENT_ID")},
        iat={"essential": True},
        jti={"essential": True},
        sid={"essential": True},
        events={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise LogoutTokenError(f"claims: {error.error}: {error.description}") from error
    max_age = int(setting("LOGOUT_TOKEN_MAX_AGE_SECONDS"))
    if not isinstance(claims["iat"], int) or claims["iat"] < now - max_age:
        raise LogoutTokenError("iat is too old")
    events = claims["events"]
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise LogoutTokenError("events lacks the back-channel logout event")
    if "nonce" in claims:
        raise LogoutTokenError("a logout token carries no nonce")
    if not isinstance(claims["sid"], str) or not claims["sid"]:
        raise LogoutTokenError("sid must be a non-empty string")
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise LogoutTokenError("jti must be a non-empty string")
    return claims


def _header(raw: str) -> dict[str, Any]:
    header = header_of(raw)
    if header is None:
        raise LogoutTokenError("unreadable header")
    return header


def header_of(raw: str) -> dict[str, Any] | None:
    """A JWT's header as sent (unverified: to choose what to check), or None if unreadable."""
    try:
        header = json.loads(_b64decode(raw.split(".", 1)[0]))
    except ValueError:
        return None
    return header if isinstance(header, dict) else None


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# -- reading tokens for display ---------------------------------------------------------------


@dataclass(frozen=True)
class DecodedJwt:
    header: dict[str, Any] | None
    claims: dict[str, Any] | None


def decode_unverified(raw: str | None) -> DecodedJwt:
    """A JWT's header and claims as sent, for display only (they were verified on receipt)."""
    if not raw or raw.count(".") != 2:
        return DecodedJwt(None, None)
    head, body, _signature = raw.split(".")
    try:
        return DecodedJwt(json.loads(_b64decode(head)), json.loads(_b64decode(body)))
    except ValueError:
        return DecodedJwt(None, None)
