"""``RequestedAuthnContext`` (SAML Core 3.3.2.2.1) against what this provider does.

Every sign-in is a password and a one-time code sent by email (``urn:clicsequr:acr:mfa``), which
is stronger than the standard password classes. A request is honoured when that context meets
it; otherwise the answer is the ``NoAuthnContext`` status.
"""

from __future__ import annotations

from typing import Any

from idp.oidc.acr import ACR_PASSWORD_AND_EMAILED_CODE

# Standard classes this provider's sign-in is at least as strong as.
WEAKER_CLASSES = frozenset(
    {
        "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    }
)


def satisfied(requested: Any) -> bool:
    if requested is None:
        return True
    references = {str(ref.text).strip() for ref in requested.authn_context_class_ref or []}
    if not references:
        # Declarations (AuthnContextDeclRef) are not offered.
        return False
    comparison = requested.comparison or "exact"
    ours = ACR_PASSWORD_AND_EMAILED_CODE
    if comparison == "exact":
        return ours in references
    if comparison == "minimum":
        return ours in references or bool(references & WEAKER_CLASSES)
    if comparison == "better":
        return bool(references & WEAKER_CLASSES)
    if comparison == "maximum":
        return ours in references
    return False
