"""The scopes and claims this provider can release (published by discovery)."""

from __future__ import annotations

from idp.claims.table import claim_names
from idp.ministries.catalogue import Catalogue
from idp.relying_parties import STANDARD_SCOPES

# Claims about the token itself rather than the person or the sign-in (idp/claims/table.py).
TOKEN_CLAIMS = ("iss", "aud", "exp", "iat", "nonce", "azp")


def scopes_supported(catalogue: Catalogue) -> list[str]:
    """Standard scopes, then one scope per right of the catalogue (its stable identifier)."""
    rights = sorted(right for ministry in catalogue.ministries for right in ministry.right_ids)
    return sorted(STANDARD_SCOPES) + rights


def claims_supported() -> list[str]:
    """The facts of the table that the ID token and UserInfo carry, then the token's own."""
    return [*claim_names(), *TOKEN_CLAIMS]
