"""Who calls the Management API: a ministry's back-end with an access token of its own.

The token is checked as introspection checks it (idp/oidc/endpoints.py): signed by this
provider as an access token (``typ`` ``at+jwt``), not expired, its stored record found and not
revoked, its grant not revoked, issued to a registered client by ``client_credentials`` (no
person), and the ``client_id`` it names that grant's client. Its scopes count only while the
client's registration still lists them: a scope taken out of the file stops working at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, TypeVar, cast

from flask import g, request
from joserfc import jwt
from joserfc.errors import JoseError
from limits import RateLimitItem, parse

from idp.api.problems import ProblemError, bearer_challenge, too_many
from idp.api.scopes import ManagementResource, management_scope
from idp.db_types import DbSession
from idp.extensions import db
from idp.oidc import issuance
from idp.oidc.models import TokenKind
from idp.relying_parties import OidcClient
from idp.runtime import Runtime
from idp.web.context import runtime
from idp.web.machine import over_limit

F = TypeVar("F", bound=Callable[..., Any])

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]
# Access tokens are a few hundred characters; a longer header is refused before any decoding.
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class ApiCaller:
    """A ministry back-end with a valid token, and the management scopes it holds now."""

    client: OidcClient
    scopes: frozenset[str]

    @property
    def ministry_key(self) -> str:
        return self.client.ministry


def _invalid(description: str) -> ProblemError:
    return ProblemError(
        "invalid_token",
        description,
        headers={"WWW-Authenticate": bearer_challenge("invalid_token", description)},
    )


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer …`` header (RFC 6750 2.1; the header only)."""
    scheme, _sep, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise ProblemError(
            "missing_token",
            "Send an access token in the Authorization header: Bearer <token>.",
            headers={"WWW-Authenticate": bearer_challenge()},
        )
    if len(value) > MAX_TOKEN_LENGTH:
        raise _invalid("The access token is not valid.")
    return value


def authenticate(session: DbSession, rt: Runtime, value: str) -> ApiCaller:
    """The back-end the token was issued to, or the problem that refuses it."""
    try:
        token = jwt.decode(value, rt.keystore.key_set(), algorithms=SIGNING_ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise _invalid("The access token is not valid.") from exc
    claims = token.claims
    jti, exp = claims.get("jti"), claims.get("exp")
    if (
        token.header.get("typ") != "at+jwt"
        or claims.get("iss") != rt.settings.issuer
        or not isinstance(jti, str)
        or not isinstance(exp, int)
        or isinstance(exp, bool)
    ):
        raise _invalid("The access token is not valid.")
    now = rt.clock()
    if exp <= issuance.timestamp(now):
        raise _invalid("The access token has expired.")
    record = issuance.find_token(session, TokenKind.ACCESS, jti)
    if record is None or record.revoked_at is not None or now >= record.expires_at:
        raise _invalid("The access token is no longer valid.")
    grant = record.grant
    client = rt.registry.client(grant.client_id)
    if (
        grant.is_revoked
        or grant.account_id is not None
        or client is None
        or claims.get("client_id") != grant.client_id
        or "client_credentials" not in client.grant_types
    ):
        raise _invalid("The access token is not a ministry back-end's.")
    held = frozenset(grant.scope.split()) & frozenset(client.management_scopes)
    return ApiCaller(client=client, scopes=held)


@lru_cache(maxsize=8)
def _limit(text: str) -> RateLimitItem:
    return parse(text)


def authorize(caller: ApiCaller, ministry_key: str, resource: ManagementResource) -> None:
    """The caller's ministry, and the scope of this resource there; 403 otherwise."""
    if caller.ministry_key != ministry_key:
        raise ProblemError(
            "other_ministry",
            "The access token is for another ministry; each ministry reaches only its own.",
        )
    needed = management_scope(ministry_key, resource)
    if needed not in caller.scopes:
        description = f"This needs the scope {needed}."
        raise ProblemError(
            "insufficient_scope",
            description,
            headers={
                "WWW-Authenticate": bearer_challenge("insufficient_scope", description, needed)
            },
        )


def management_access(resource: ManagementResource) -> Callable[[F], F]:
    """A route of ``/ministries/<ministry>/…``: a valid token (401), at most
    ``IDP_API_CLIENT_LIMIT`` requests per client (429), the right ministry and scope (403).
    The view gets the caller as ``caller``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            rt = runtime()
            caller = authenticate(
                db.session, rt, bearer_token(request.headers.get("Authorization", ""))
            )
            retry_after = over_limit(
                _limit(rt.settings.api_client_limit), "management_api", caller.client.client_id
            )
            if retry_after is not None:
                return too_many(retry_after)
            authorize(caller, kwargs["ministry"], resource)
            g.api_caller = caller
            return view(*args, caller=caller, **kwargs)

        return cast(F, checked)

    return decorate
