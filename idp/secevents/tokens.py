"""Security Event Tokens (RFC 8417) in the OpenID Shared Signals and CAEP vocabulary."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from joserfc import jwt

from idp.relying_parties import OidcClient
from idp.runtime import Runtime

SET_TYPE = "secevent+jwt"
# CAEP 1.0: a claim the site holds about the subject changed; the new value is in ``claims``.
TOKEN_CLAIMS_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/token-claims-change"  # noqa: S105
# CAEP 1.0: a credential of the subject was created, revoked, updated or deleted.
CREDENTIAL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change"


def subject_id(runtime: Runtime, subject: str) -> dict[str, str]:
    """The person as the site knows them (RFC 9493 ``iss_sub``: the pairwise ``sub``)."""
    return {"format": "iss_sub", "iss": runtime.settings.issuer, "sub": subject}


def security_event_token(
    runtime: Runtime,
    client: OidcClient,
    *,
    subject: str,
    event_type: str,
    event: dict[str, Any],
    occurred_at: datetime,
) -> tuple[str, str]:
    """The signed SET and its ``jti``: one event about one person, for one site.

    No ``sub`` and no ``exp`` (RFC 8417 2.2: the subject is in ``sub_id``, and an event stays
    true after the fact); the site's ID token algorithm signs it, with the key published in the
    provider's JWKS.
    """
    jti = secrets.token_urlsafe(24)
    claims = {
        "iss": runtime.settings.issuer,
        "jti": jti,
        "iat": int(runtime.clock().timestamp()),
        "aud": client.client_id,
        "sub_id": subject_id(runtime, subject),
        "events": {event_type: {**event, "event_timestamp": int(occurred_at.timestamp())}},
    }
    alg = client.id_token_signed_response_alg
    key = runtime.keystore.signing_key(alg)
    header = {"alg": alg, "kid": key.kid, "typ": SET_TYPE}
    return jwt.encode(header, claims, key.key, algorithms=[alg]), jti
