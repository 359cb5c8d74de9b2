"""Receiving the provider's security events: RFC 8417 SETs pushed per RFC 8935.

``POST /auth/security-events`` (the registered ``security_events_endpoint``, in
:mod:`demo_rp.common.auth`) takes an
``application/secevent+jwt`` body and answers 202 Accepted once the SET is verified and recorded,
or 400 with RFC 8935's error JSON (``{"err": ..., "description": ...}``): the provider gives up
on a 400 and retries anything else. The checks, in order (docs/security-events.md):

1. the media type is ``application/secevent+jwt``, the body a signed JWT typed ``secevent+jwt``
   (``invalid_request``);
2. its ``kid`` and ``alg`` are of the provider's JWKS, fetched from the issuer's discovery
   (``invalid_key``), and the signature verifies (``authentication_failed``);
3. ``iss`` is the provider (``invalid_issuer``), ``aud`` this site's client id
   (``invalid_audience``);
4. ``iat`` neither in the future nor older than two days, a ``jti``, no ``sub`` nor ``exp``
   (RFC 8417 2.2), one event, and a ``sub_id`` of format ``iss_sub`` naming the provider
   (``invalid_request``);
5. the ``jti`` was never received before, or with this very event: each event counts once. A
   repeat of the same event is answered 202 again (the provider retries when our 202 was lost,
   and must not record as refused an event that arrived); another event under a ``jti`` already
   used is refused (``invalid_request``).

The event is then recorded for its subject; the site's profile decides whether it ends the
person's sessions here (``SiteProfile.security_event_ends_sessions``).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from joserfc.errors import BadSignatureError, JoseError

from demo_rp.common import oidc
from demo_rp.common.site import setting
from demo_rp.common.storage import Database

SET_MEDIA_TYPE = "application/secevent+jwt"
SET_TYPE = "secevent+jwt"
# The provider retries for about 18 hours; an older SET is refused, and a jti is kept this long.
MAX_AGE_SECONDS = 2 * 86400
TOKEN_CLAIMS_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/token-claims-change"  # noqa: S105 (an event type)
CREDENTIAL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change"


class SecurityEventError(ValueError):
    """A SET refused; ``err`` is the RFC 8935 error code the answer carries."""

    def __init__(self, err: str, description: str) -> None:
        super().__init__(description)
        self.err = err
        self.description = description


@dataclass(frozen=True)
class SecurityEvent:
    """One verified event about one person."""

    jti: str
    sub: str
    event_type: str
    event: dict[str, Any]
    issued_at: int


@dataclass(frozen=True)
class ReceivedEvent:
    """A recorded event, as the pages show it."""

    event_type: str
    event: dict[str, Any]
    received_at: int


# -- verification -----------------------------------------------------------------------------


def verify_security_event(raw: str, content_type: str | None) -> SecurityEvent:
    """The event a pushed SET carries, or :class:`SecurityEventError`."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != SET_MEDIA_TYPE:
        raise SecurityEventError("invalid_request", f"the body must be {SET_MEDIA_TYPE}")
    if raw.count(".") != 2:
        raise SecurityEventError("invalid_request", "not a signed JWT")
    header = oidc.header_of(raw)
    if header is None or header.get("typ") != SET_TYPE:
        raise SecurityEventError("invalid_request", f"typ must be {SET_TYPE}")
    claims = _signed_claims(raw)
    return _event_of(claims)


def _signed_claims(raw: str) -> dict[str, Any]:
    try:
        return oidc.signed_by_provider(raw)
    except BadSignatureError as error:
        raise SecurityEventError(
            "authentication_failed", "the signature does not verify"
        ) from error
    except (JoseError, ValueError) as error:
        raise SecurityEventError(
            "invalid_key", f"not signed with a key of the provider ({type(error).__name__})"
        ) from error


def _event_of(claims: dict[str, Any]) -> SecurityEvent:
    issuer = setting("IDP_ISSUER")
    if claims.get("iss") != issuer:
        raise SecurityEventError("invalid_issuer", "iss is not the provider")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if setting("CLIENT_ID") not in audiences:
        raise SecurityEventError("invalid_audience", "aud does not name this site")
    now = int(setting("CLOCK")().timestamp())
    issued_at = claims.get("iat")
    if not isinstance(issued_at, int) or isinstance(issued_at, bool):
        raise SecurityEventError("invalid_request", "iat must be a number")
    if issued_at > now + int(setting("CLOCK_LEEWAY_SECONDS")) or issued_at < now - MAX_AGE_SECONDS:
        raise SecurityEventError("invalid_request", "iat is in the future or too old")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise SecurityEventError("invalid_request", "jti must be a non-empty string")
    if "sub" in claims or "exp" in claims:
        raise SecurityEventError("invalid_request", "a SET carries no sub nor exp")
    events = claims.get("events")
    if not isinstance(events, dict) or len(events) != 1:
        raise SecurityEventError("invalid_request", "events must hold exactly one event")
    [(event_type, event)] = events.items()
    if not isinstance(event, dict):
        raise SecurityEventError("invalid_request", "the event must be an object")
    subject = claims.get("sub_id")
    if (
        not isinstance(subject, dict)
        or subject.get("format") != "iss_sub"
        or subject.get("iss") != issuer
        or not isinstance(subject.get("sub"), str)
        or not subject["sub"]
    ):
        raise SecurityEventError("invalid_request", "sub_id must be an iss_sub of the provider")
    return SecurityEvent(jti, subject["sub"], str(event_type), event, issued_at)


# -- the record -------------------------------------------------------------------------------


class Recorded(enum.Enum):
    """What recording a verified event did."""

    NEW = "new"
    REPEAT = "repeat"  # this jti with this same event, received before
    CONFLICT = "conflict"  # this jti with another event


class SecurityEventStore:
    """The events received, by subject; a ``jti`` is recorded once."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(self, event: SecurityEvent, received_at: int) -> Recorded:
        """Keep ``event``, unless its ``jti`` was received before: then say whether with this
        very event (a retry: nothing to do again) or another one (a forgery or a bug)."""
        with self.database.connect() as db:
            db.execute(
                "DELETE FROM security_events WHERE issued_at < ?", (received_at - MAX_AGE_SECONDS,)
            )
            cursor = db.execute(
                "INSERT OR IGNORE INTO security_events "
                "(jti, sub, event_type, event, issued_at, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    event.jti,
                    event.sub,
                    event.event_type,
                    json.dumps(event.event),
                    event.issued_at,
                    received_at,
                ),
            )
            if cursor.rowcount == 1:
                return Recorded.NEW
            before = db.execute(
                "SELECT sub, event_type, event, issued_at FROM security_events WHERE jti = ?",
                (event.jti,),
            ).fetchone()
        same = before is not None and (
            before["sub"],
            before["event_type"],
            json.loads(before["event"]),
            int(before["issued_at"]),
        ) == (event.sub, event.event_type, event.event, event.issued_at)
        return Recorded.REPEAT if same else Recorded.CONFLICT

    def latest(self, sub: str, event_type: str, since: int) -> ReceivedEvent | None:
        """The last event of ``event_type`` about ``sub`` received at ``since`` or later."""
        row = self.database.fetch_one(
            "SELECT event_type, event, received_at FROM security_events "
            "WHERE sub = ? AND event_type = ? AND received_at >= ? "
            "ORDER BY issued_at DESC, received_at DESC LIMIT 1",
            (sub, event_type, since),
        )
        if row is None:
            return None
        return ReceivedEvent(row["event_type"], json.loads(row["event"]), int(row["received_at"]))
