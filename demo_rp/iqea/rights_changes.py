"""What the provider pushed about the person's IQEA rights, as the pages show it.

A ``token-claims-change`` security event (:mod:`demo_rp.common.security_events`) carries the
person's rights at the MELCCFP as they now stand, for each enterprise (RFC 9396
``authorization_details``; an enterprise missing means no right for it any more). When none of
them is an IQEA right, the person's sessions here end at once. Every page then shows « Vos droits
ont changé », the rights and when the event arrived: to the signed-in person if it came after
they signed in, and to the browser whose session it ended (until it signs in again). The site
has no script: the notice appears on the next page the person opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, session

from demo_rp.common.security_events import TOKEN_CLAIMS_CHANGE, SecurityEvent
from demo_rp.common.sessions import EndedSession
from demo_rp.iqea.config import IQEA_RIGHTS
from demo_rp.iqea.extensions import services
from demo_rp.iqea.identity import MINISTRY, Person

RIGHTS_DETAILS_TYPE = "clicsequr_rights"


@dataclass(frozen=True)
class EnterpriseRights:
    neq: str
    rights: tuple[str, ...]  # IQEA rights only, in the site's order


@dataclass(frozen=True)
class RightsChange:
    """The last rights change the provider pushed, for the notice."""

    received_at: int
    enterprises: tuple[EnterpriseRights, ...]  # those where an IQEA right remains
    session_ended: bool


def iqea_rights(event: Mapping[str, Any]) -> tuple[EnterpriseRights, ...]:
    """The IQEA rights a ``token-claims-change`` event gives, per enterprise."""
    claims = event.get("claims")
    details = claims.get("authorization_details") if isinstance(claims, dict) else None
    found: list[EnterpriseRights] = []
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, dict) or detail.get("type") != RIGHTS_DETAILS_TYPE:
            continue
        if detail.get("ministry") != MINISTRY:
            continue
        held = detail.get("rights")
        rights = tuple(r for r in IQEA_RIGHTS if isinstance(held, list) and r in held)
        if rights and detail.get("enterprise"):
            found.append(EnterpriseRights(str(detail["enterprise"]), rights))
    return tuple(found)


def ends_sessions(event: SecurityEvent) -> bool:
    """The person's rights no longer allow IQEA: their sessions here end."""
    return event.event_type == TOKEN_CLAIMS_CHANGE and not iqea_rights(event.event)


def rights_change() -> RightsChange | None:
    """What the notice of this page says, if anything."""
    person: Person | None = g.get("person")
    ended: EndedSession | None = g.get("ended_session")
    if person is not None:
        auth = session.get("auth") or {}
        sub, since, session_ended = person.sub, int(auth.get("signed_in_at") or 0), False
    elif ended is not None:
        sub, since, session_ended = ended.sub, ended.signed_in_at, True
    else:
        return None
    received = services().security_events.latest(sub, TOKEN_CLAIMS_CHANGE, since)
    if received is None:
        return None
    return RightsChange(received.received_at, iqea_rights(received.event), session_ended)


def init_app(app: Flask) -> None:
    @app.context_processor
    def _rights_change() -> dict[str, Any]:
        return {"rights_change": rights_change()}
