"""Pushed authorization requests (RFC 9126): the request sent by the client's back-end, the
browser given only a reference to it.

A client posts its authorization request to ``/oidc/par`` with its usual client
authentication; the request is checked as the authorization endpoint would check it and kept
for :data:`LIFETIME_SECONDS` under a ``request_uri`` (``urn:ietf:params:oauth:request_uri:`` and
256 random bits, stored as their SHA-256). The browser then brings ``client_id`` and
``request_uri`` to the authorization endpoint, which uses the stored parameters alone.

A ``request_uri`` is used once (RFC 9126 4): the first browser to bring it claims it with one
compare-and-set UPDATE, so of two workers racing for it exactly one wins. The journey after
that (sign-in, enterprise choice, consent) comes back to the same address several times; those
returns are accepted from the claiming browser only (its own cookie, idp/web/known_browser.py),
until the answer to the client deletes the row. Another browser, another client, a late or a
second use are each refused with their own :class:`PushedRequestProblem`.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from sqlalchemy import delete, select, update
from werkzeug.datastructures import MultiDict

from idp.clock import Clock
from idp.db_types import DbSession
from idp.oidc.issuance import token_hash
from idp.oidc.models import PushedAuthorizationRequest
from idp.oidc.parameters import max_age, quoted_name, refuse_unsupported

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# RFC 9126 2.2 suggests 5 to 600 s: long enough for the browser's redirect, short enough that a
# reference copied from a log is dead.
LIFETIME_SECONDS = 60
# Once claimed, how long the person may take to sign in and choose (as SAML requests).
JOURNEY_LIFETIME = timedelta(minutes=30)
# Client authentication travels in the same body; it is no part of the authorization request.
CLIENT_AUTHENTICATION_PARAMETERS = frozenset(
    {"client_secret", "client_assertion", "client_assertion_type"}
)


class PushedRequestProblem(StrEnum):
    UNKNOWN = "unknown"
    WRONG_CLIENT = "wrong_client"
    EXPIRED = "expired"
    USED = "used"


class PushedRequestError(Exception):
    """The ``request_uri`` cannot be used; ``parameters`` only when the client is the one that
    pushed it (its redirect URI can then be trusted with the error)."""

    def __init__(
        self, problem: PushedRequestProblem, parameters: dict[str, str] | None = None
    ) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.parameters = parameters


@dataclass(frozen=True)
class PushedReference:
    request_uri: str
    expires_in: int


@dataclass(frozen=True)
class ClaimedRequest:
    """A pushed request this browser holds: its row and its parameters."""

    id: int
    parameters: MultiDict[str, str]


def pushed_parameters(form: MultiDict[str, str], client_id: str) -> dict[str, str]:
    """The authorization request in a pushed body (RFC 9126 2.1), or ``invalid_request``.

    Each parameter once; no ``request_uri`` (2.1 forbids it); a ``client_id`` in the body must
    name the authenticated client, which is what the stored request names in any case.
    """
    parameters: dict[str, str] = {}
    for name in form:
        if name in CLIENT_AUTHENTICATION_PARAMETERS:
            continue
        values = form.getlist(name)
        if len(values) != 1:
            raise InvalidRequestError(f"{quoted_name(name)} is given more than once.")
        parameters[name] = values[0]
    if "request_uri" in parameters:
        raise InvalidRequestError("'request_uri' cannot be pushed (RFC 9126 2.1).")
    if parameters.setdefault("client_id", client_id) != client_id:
        raise InvalidRequestError("'client_id' is not the authenticated client.")
    refuse_unsupported(MultiDict(parameters))
    max_age(MultiDict(parameters))
    return parameters


def check_as_authorization_request(
    server: Any, template: OAuth2Request, parameters: dict[str, str]
) -> None:
    """authlib's checks of the authorization endpoint (client, exact redirect URI, response
    type, scope, PKCE, nonce) on the pushed parameters; raises their ``OAuth2Error``."""
    template.payload = BasicOAuth2Payload(parameters)
    grant = server.get_authorization_grant(template)
    grant.validate_no_multiple_request_parameter(template)
    grant.validate_authorization_request()


def push(
    session: DbSession, clock: Clock, client_id: str, parameters: dict[str, str]
) -> PushedReference:
    """Keep a checked request for :data:`LIFETIME_SECONDS`; the ``request_uri`` is shown once."""
    reference = secrets.token_urlsafe(32)
    now = clock()
    session.add(
        PushedAuthorizationRequest(
            uri_hash=token_hash(reference),
            client_id=client_id,
            parameters=parameters,
            created_at=now,
            expires_at=now + timedelta(seconds=LIFETIME_SECONDS),
        )
    )
    session.flush()
    return PushedReference(REQUEST_URI_PREFIX + reference, LIFETIME_SECONDS)


def claim(
    session: DbSession, clock: Clock, client_id: str, request_uri: str, browser: str
) -> ClaimedRequest:
    """The pushed request named by ``request_uri`` for this client and this browser.

    The first use claims it for the browser (one UPDATE that only an unclaimed, unexpired row
    matches); later uses are the same journey coming back, accepted from that browser only.
    """
    found = _find(session, request_uri)
    if found is None:
        raise PushedRequestError(PushedRequestProblem.UNKNOWN)
    if found.client_id != client_id:
        raise PushedRequestError(PushedRequestProblem.WRONG_CLIENT)
    now = clock()
    browser_hash = token_hash(browser)
    if found.claimed_at is not None:
        if now < found.expires_at and hmac.compare_digest(found.browser_hash or "", browser_hash):
            return ClaimedRequest(found.id, MultiDict(found.parameters))
        raise PushedRequestError(PushedRequestProblem.USED)
    if now >= found.expires_at:
        raise PushedRequestError(PushedRequestProblem.EXPIRED, dict(found.parameters))
    claimed = session.execute(
        update(PushedAuthorizationRequest)
        .where(
            PushedAuthorizationRequest.id == found.id,
            PushedAuthorizationRequest.claimed_at.is_(None),
            PushedAuthorizationRequest.expires_at > now,
        )
        .values(claimed_at=now, browser_hash=browser_hash, expires_at=now + JOURNEY_LIFETIME)
    )
    if int(getattr(claimed, "rowcount", 0) or 0) != 1:
        # Another worker claimed it between the read and the UPDATE.
        raise PushedRequestError(PushedRequestProblem.USED)
    return ClaimedRequest(found.id, MultiDict(found.parameters))


def _find(session: DbSession, request_uri: str) -> PushedAuthorizationRequest | None:
    if not request_uri.startswith(REQUEST_URI_PREFIX):
        return None
    reference = request_uri.removeprefix(REQUEST_URI_PREFIX)
    return session.scalars(
        select(PushedAuthorizationRequest).where(
            PushedAuthorizationRequest.uri_hash == token_hash(reference)
        )
    ).one_or_none()


def replace_parameters(
    session: DbSession, claimed: ClaimedRequest, parameters: dict[str, str]
) -> None:
    """The journey goes on with these parameters: the request without what asked for a fresh
    sign-in (``prompt=login``, ``max_age``), once the sign-in is under way, as a plain request's
    address to resume drops them."""
    session.execute(
        update(PushedAuthorizationRequest)
        .where(PushedAuthorizationRequest.id == claimed.id)
        .values(parameters=parameters)
    )


def finish(session: DbSession, claimed: ClaimedRequest) -> None:
    """The client has its answer (a code or an error): the ``request_uri`` is dead."""
    session.execute(
        delete(PushedAuthorizationRequest).where(PushedAuthorizationRequest.id == claimed.id)
    )
