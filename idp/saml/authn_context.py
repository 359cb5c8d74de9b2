"""``RequestedAuthnContext`` (SAML Core 3.3.2.2.1) against what this provider does.

A sign-in here is a password and a one-time code sent by email (``urn:clicsequr:acr:mfa``) or a
passkey (``urn:clicsequr:acr:phr``, phishing-resistant), both stronger than the standard
password classes. A request is read as the set of those two classes it accepts: when it accepts
neither, the answer is the ``NoAuthnContext`` status; when it accepts only the passkey class, a
session made with the code goes through the passkey step first. The assertion then states the
strongest accepted class the session reached.

A passkey sign-in is multi-factor too (a key the person holds, unlocked by their fingerprint,
face or PIN), so it meets a request for ``mfa``: stating ``mfa`` for it is true, only less than
the whole truth the SP did not ask for.
"""

from __future__ import annotations

from typing import Any

from idp.oidc.acr import ACR_PASSWORD_AND_EMAILED_CODE, ACR_PHISHING_RESISTANT, satisfies

# Ours, strongest first.
OUR_CLASSES = (ACR_PHISHING_RESISTANT, ACR_PASSWORD_AND_EMAILED_CODE)
# Standard classes each of ours is at least as strong as.
WEAKER_CLASSES = frozenset(
    {
        "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    }
)


def accepted_classes(requested: Any) -> frozenset[str]:
    """Those of our classes that meet ``requested`` (all when the request names none)."""
    if requested is None:
        return frozenset(OUR_CLASSES)
    references = {str(ref.text).strip() for ref in requested.authn_context_class_ref or []}
    # Declarations (AuthnContextDeclRef) are not offered: no class meets them.
    comparison = requested.comparison or "exact"
    weaker = bool(references & WEAKER_CLASSES)
    if comparison == "exact":
        return frozenset(references) & frozenset(OUR_CLASSES)
    if comparison == "minimum":
        if weaker or ACR_PASSWORD_AND_EMAILED_CODE in references:
            return frozenset(OUR_CLASSES)
        return frozenset(references) & {ACR_PHISHING_RESISTANT}
    if comparison == "better":
        if weaker:
            return frozenset(OUR_CLASSES)
        if ACR_PASSWORD_AND_EMAILED_CODE in references:
            return frozenset({ACR_PHISHING_RESISTANT})
        return frozenset()
    if comparison == "maximum":
        if ACR_PHISHING_RESISTANT in references:
            return frozenset(OUR_CLASSES)
        return frozenset(references) & {ACR_PASSWORD_AND_EMAILED_CODE}
    return frozenset()


def needs_passkey(accepted: frozenset[str]) -> bool:
    """Only the phishing-resistant class will do: a session made with the code is not enough."""
    return ACR_PASSWORD_AND_EMAILED_CODE not in accepted


def class_to_state(accepted: frozenset[str], reached: str) -> str:
    """The strongest accepted class the session reached (``reached`` is its own class)."""
    for candidate in OUR_CLASSES:
        if candidate in accepted and satisfies(reached, candidate):
            return candidate
    # The journey let no weaker session through; say what it did reach.
    return reached


def stored(accepted: frozenset[str]) -> str:
    """The classes as the pending request keeps them (strongest first, space-separated)."""
    return " ".join(c for c in OUR_CLASSES if c in accepted)


def loaded(value: str | None) -> frozenset[str]:
    """:func:`stored`'s inverse; a request kept before the column existed accepts both."""
    if value is None:
        return frozenset(OUR_CLASSES)
    return frozenset(value.split())
