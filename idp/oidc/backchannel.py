"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0).

When a session ends for any reason, each relying party that took part receives a signed logout
token naming the session (``sid``) and the person (``sub``) as that relying party knows them.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

import requests
from joserfc import jwt

from idp.relying_parties import OidcClient
from idp.runtime import Runtime

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# Short-lived: a logout token is delivered at once or not at all (section 2.4).
LOGOUT_TOKEN_LIFETIME = timedelta(minutes=2)
DELIVERY_TIMEOUT_SECONDS = 5

logger = logging.getLogger(__name__)


def logout_token(runtime: Runtime, client: OidcClient, *, subject: str, sid: str) -> str:
    """A signed logout token (section 2.4): no ``nonce``, an ``events`` member, ``typ``."""
    now = runtime.clock()
    alg = client.id_token_signed_response_alg
    key = runtime.keystore.signing_key(alg)
    claims = {
        "iss": runtime.settings.issuer,
        "sub": subject,
        "aud": client.client_id,
        "iat": int(now.timestamp()),
        "exp": int((now + LOGOUT_TOKEN_LIFETIME).timestamp()),
        "jti": secrets.token_urlsafe(16),
        "sid": sid,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    header = {"alg": alg, "kid": key.kid, "typ": "logout+jwt"}
    return jwt.encode(header, claims, key.key, algorithms=[alg])


@dataclass(frozen=True)
class Delivery:
    client_id: str
    delivered: bool
    detail: str


def deliver(token: str, client: OidcClient, session: requests.Session | None = None) -> Delivery:
    """POST the token to the client's back-channel logout URI (section 2.5).

    Redirects are not followed (the URI is registered exactly); any answer but 200 or 204 is a
    failure, reported to the caller, which records it: the session is ended here regardless.
    """
    if not client.backchannel_logout_uri:
        return Delivery(client.client_id, False, "no backchannel_logout_uri registered")
    http = session or requests.Session()
    try:
        response = http.post(
            client.backchannel_logout_uri,
            data={"logout_token": token},
            headers={"Cache-Control": "no-store"},
            timeout=DELIVERY_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        logger.warning("back-channel logout to %s failed: %s", client.client_id, type(exc).__name__)
        return Delivery(client.client_id, False, type(exc).__name__)
    delivered = response.status_code in (200, 204)
    return Delivery(client.client_id, delivered, f"HTTP {response.status_code}")
