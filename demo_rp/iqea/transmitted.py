"""The page « Ce que le fournisseur d'identité nous a transmis »: the raw tokens, decoded.

Each section is data for ``templates/transmitted.html``: a title and a description (text keys),
the raw value as received, and parts shown as pretty-printed JSON. The page is meant to grow
(explanations of each claim by ``idp.inspect``): add sections or parts here, or fill the
template's ``section_extra`` block.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from demo_rp.iqea.oidc import decode_unverified


@dataclass(frozen=True)
class Part:
    title: str  # a text key
    value: Any

    @property
    def json(self) -> str:
        return pretty(self.value)


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str  # a text key
    description: str  # a text key
    raw: str | None = None
    parts: list[Part] = field(default_factory=list)


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _jwt_section(anchor: str, title: str, description: str, raw: str | None) -> Section:
    decoded = decode_unverified(raw)
    parts = []
    if decoded.header is not None:
        parts.append(Part("transmitted_header", decoded.header))
    if decoded.claims is not None:
        parts.append(Part("transmitted_claims", decoded.claims))
    return Section(anchor, title, description, raw or None, parts)


def sections(auth: dict[str, Any]) -> list[Section]:
    """What the provider sent for this session, in the order it was received."""
    token_response = {
        "scope": auth.get("scope"),
        "authorization_details": auth.get("authorization_details"),
        "expires_at": auth.get("expires_at"),
    }
    return [
        _jwt_section(
            "jeton-identite",
            "transmitted_id_token",
            "transmitted_id_token_text",
            auth.get("id_token"),
        ),
        _jwt_section(
            "jeton-acces",
            "transmitted_access_token",
            "transmitted_access_token_text",
            auth.get("access_token"),
        ),
        Section(
            "userinfo",
            "transmitted_userinfo",
            "transmitted_userinfo_text",
            None,
            [Part("transmitted_json", auth.get("userinfo"))] if auth.get("userinfo") else [],
        ),
        Section(
            "reponse-jeton",
            "transmitted_token_response",
            "transmitted_token_response_text",
            None,
            [Part("transmitted_json", token_response)],
        ),
    ]
