"""The citizen signed in, as the site reads the provider's claims, and the claims it refuses.

A citizen's ID token and UserInfo carry ``sub`` (pairwise: the same person has another ``sub``
at every other ministry), ``name``, ``given_name``, ``family_name``, ``email`` and
``email_verified``. ``enterprise`` and ``rights`` are claims of enterprise services: a token
carrying them was meant for another kind of client (a registration whose audience is not
``citizen``), and the site refuses it rather than take a business for a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from demo_rp.common.site import ClaimsRefusedError

# Claims of an enterprise's representative, never of a citizen.
ENTERPRISE_CLAIMS = ("enterprise", "rights")


@dataclass(frozen=True)
class Citizen:
    sub: str
    name: str
    given_name: str | None
    family_name: str | None
    email: str | None
    email_verified: bool


def person_from(auth: dict[str, Any]) -> Citizen:
    claims: dict[str, Any] = auth.get("claims") or {}
    given, family = claims.get("given_name"), claims.get("family_name")
    full = " ".join(part for part in (given, family) if part)
    return Citizen(
        sub=str(auth["sub"]),
        name=str(claims.get("name") or full or claims.get("email") or auth["sub"]),
        given_name=given,
        family_name=family,
        email=claims.get("email"),
        email_verified=claims.get("email_verified") is True,
    )


def refuse_enterprise_claims(claims: Mapping[str, Any]) -> None:
    """Refuse claims that only an enterprise service receives (a misconfigured audience)."""
    found = [name for name in ENTERPRISE_CLAIMS if name in claims]
    if found:
        raise ClaimsRefusedError(
            f"claims of an enterprise service: {', '.join(found)}",
            title="enterprise_refused_title",
            message="enterprise_refused_text",
        )
