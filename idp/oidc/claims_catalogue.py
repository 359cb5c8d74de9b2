"""The scopes and claims this provider can release (published by discovery)."""

from __future__ import annotations

from idp.ministries.catalogue import Catalogue
from idp.relying_parties import STANDARD_SCOPES

IDENTITY_CLAIMS = (
    "sub",
    "name",
    "given_name",
    "family_name",
    "email",
    "email_verified",
    "enterprise",
    "agent",
    "role",
    "rights",
)
SESSION_CLAIMS = ("iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "azp")


def scopes_supported(catalogue: Catalogue) -> list[str]:
    """Standard scopes, then one scope per right of the catalogue (its stable identifier)."""
    rights = sorted(right for ministry in catalogue.ministries for right in ministry.right_ids)
    return sorted(STANDARD_SCOPES) + rights


def claims_supported() -> list[str]:
    return [*IDENTITY_CLAIMS, *SESSION_CLAIMS]
