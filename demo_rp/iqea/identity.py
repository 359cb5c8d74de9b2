"""The person signed in, as the site reads the provider's claims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from demo_rp.iqea.config import IQEA_RIGHTS, OPERATOR_RIGHT, VERIFIER_RIGHT

MINISTRY = "melccfp"


@dataclass(frozen=True)
class Party:
    neq: str
    name: str


@dataclass(frozen=True)
class Proxy:
    """Where the rights come from (``authorization_details`` of type ``clicsequr_rights``)."""

    source: str  # esm, internal or external
    proxy_id: str | None
    valid_until: str | None


@dataclass(frozen=True)
class Person:
    sub: str
    name: str
    email: str | None
    enterprise: Party | None
    agent: Party | None
    role: str | None
    rights: tuple[str, ...]
    proxy: Proxy | None

    @property
    def is_operator(self) -> bool:
        return OPERATOR_RIGHT in self.rights

    @property
    def is_verifier(self) -> bool:
        return VERIFIER_RIGHT in self.rights

    @property
    def has_any_right(self) -> bool:
        return bool(self.rights) and self.enterprise is not None

    def as_actor(self) -> dict[str, Any] | None:
        return {"neq": self.agent.neq, "name": self.agent.name} if self.agent else None


def _party(value: Any) -> Party | None:
    if isinstance(value, dict) and value.get("neq") and value.get("name"):
        return Party(str(value["neq"]), str(value["name"]))
    return None


def _proxy(details: Any, enterprise: Party | None) -> Proxy | None:
    if not isinstance(details, list):
        return None
    for entry in details:
        if (
            isinstance(entry, dict)
            and entry.get("type") == "clicsequr_rights"
            and entry.get("ministry") == MINISTRY
            and (enterprise is None or entry.get("enterprise") == enterprise.neq)
        ):
            proxy_id = entry.get("proxy_id")
            return Proxy(
                source=str(entry.get("source") or ""),
                proxy_id=str(proxy_id) if proxy_id is not None else None,
                valid_until=entry.get("proxy_valid_until"),
            )
    return None


def person_from(auth: dict[str, Any]) -> Person:
    claims: dict[str, Any] = auth.get("claims") or {}
    enterprise = _party(claims.get("enterprise"))
    rights = claims.get("rights") or []
    given = " ".join(part for part in (claims.get("given_name"), claims.get("family_name")) if part)
    return Person(
        sub=str(auth["sub"]),
        name=str(claims.get("name") or given or claims.get("email") or auth["sub"]),
        email=claims.get("email"),
        enterprise=enterprise,
        agent=_party(claims.get("agent")),
        role=claims.get("role"),
        # Only the IQEA rights matter here, in a stable order.
        rights=tuple(right for right in IQEA_RIGHTS if right in rights),
        proxy=_proxy(auth.get("authorization_details"), enterprise),
    )
