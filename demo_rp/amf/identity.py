"""Who is signed in: the NameID and the attributes of the assertion, as the pages use them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from demo_rp.amf.blocks import Text

ATTRIBUTE = "urn:clicsequr:attribute:"
GIVEN_NAME = "urn:oid:2.5.4.42"
SURNAME = "urn:oid:2.5.4.4"
DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
RIGHTS = f"{ATTRIBUTE}rights"

# Every attribute the provider sends, labelled for the page « Ce que le fournisseur… ».
ATTRIBUTE_LABELS: dict[str, Text] = {
    GIVEN_NAME: Text("Prénom", "Given name"),
    SURNAME: Text("Nom de famille", "Surname"),
    DISPLAY_NAME: Text("Nom complet", "Full name"),
    MAIL: Text("Adresse courriel", "Email address"),
    f"{ATTRIBUTE}enterprise-neq": Text("NEQ de l'entreprise", "Enterprise NEQ"),
    f"{ATTRIBUTE}enterprise-name": Text("Nom de l'entreprise", "Enterprise name"),
    f"{ATTRIBUTE}agent-neq": Text("NEQ de la firme mandataire", "Agent firm NEQ"),
    f"{ATTRIBUTE}agent-name": Text("Nom de la firme mandataire", "Agent firm name"),
    f"{ATTRIBUTE}role": Text("Rôle", "Role"),
    RIGHTS: Text("Droits à l'Autorité", "Rights at the Autorité"),
    f"{ATTRIBUTE}rights-source": Text("Source des droits", "Source of the rights"),
    f"{ATTRIBUTE}proxy-id": Text("Procuration", "Proxy"),
    f"{ATTRIBUTE}proxy-valid-until": Text("Procuration valide jusqu'au", "Proxy valid until"),
    f"{ATTRIBUTE}ministry": Text("Ministère ou organisme", "Ministry or body"),
}

ROLE_LABELS = {
    "esm": Text("Responsable des services électroniques", "Electronic services manager"),
    "user": Text("Utilisateur", "User"),
}

SOURCE_LABELS = {
    "esm": Text(
        "Tous les droits, à titre de responsable des services électroniques",
        "Every right, as electronic services manager",
    ),
    "internal": Text("Procuration interne de l'entreprise", "Internal proxy of the enterprise"),
    "external": Text(
        "Procuration externe donnée à votre firme", "External proxy given to your firm"
    ),
}


@dataclass(frozen=True)
class SignedIn:
    """The person of the session, from what the provider asserted at sign-in."""

    name_id: str
    name_id_format: str
    attributes: dict[str, list[str]]
    session_index: str | None
    authn_instant: str | None
    signed_in_at: str

    @classmethod
    def from_session(cls, data: Any) -> SignedIn | None:
        if not data.get("name_id"):
            return None
        return cls(
            name_id=data["name_id"],
            name_id_format=data.get("name_id_format", ""),
            attributes=data.get("attributes", {}),
            session_index=data.get("session_index"),
            authn_instant=data.get("authn_instant"),
            signed_in_at=data.get("signed_in_at", ""),
        )

    def first(self, name: str) -> str:
        values = self.attributes.get(name) or [""]
        return values[0]

    @property
    def display_name(self) -> str:
        return self.first(DISPLAY_NAME) or f"{self.first(GIVEN_NAME)} {self.first(SURNAME)}".strip()

    @property
    def given_name(self) -> str:
        return self.first(GIVEN_NAME)

    @property
    def email(self) -> str:
        return self.first(MAIL)

    @property
    def enterprise_name(self) -> str:
        return self.first(f"{ATTRIBUTE}enterprise-name")

    @property
    def enterprise_neq(self) -> str:
        return self.first(f"{ATTRIBUTE}enterprise-neq")

    @property
    def agent_name(self) -> str:
        return self.first(f"{ATTRIBUTE}agent-name")

    @property
    def agent_neq(self) -> str:
        return self.first(f"{ATTRIBUTE}agent-neq")

    @property
    def role(self) -> str:
        return self.first(f"{ATTRIBUTE}role")

    @property
    def rights(self) -> frozenset[str]:
        return frozenset(self.attributes.get(RIGHTS, []))

    @property
    def rights_source(self) -> str:
        return self.first(f"{ATTRIBUTE}rights-source")

    @property
    def proxy_id(self) -> str:
        return self.first(f"{ATTRIBUTE}proxy-id")

    @property
    def proxy_valid_until(self) -> date | None:
        value = self.first(f"{ATTRIBUTE}proxy-valid-until")
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None

    def holds(self, right: str) -> bool:
        return right in self.rights
