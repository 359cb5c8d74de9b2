"""One entry point for anything pasted: a JWT or a SAML response, told apart by its shape."""

from __future__ import annotations

from datetime import datetime

from idp.inspect.jwt import inspect_jwt, looks_like_jwt
from idp.inspect.report import Report
from idp.inspect.saml import inspect_saml
from idp.keystore import KeyStore


def inspect_token(
    text: str | bytes,
    keystore: KeyStore,
    now: datetime,
    *,
    issuer: str | None = None,
    audience: str | None = None,
) -> Report:
    """Three dot-separated base64url parts: a JWT; anything else is read as a SAML response
    (base64 as posted, a ``SAMLResponse=…`` form field, or raw XML)."""
    shown = text.decode("latin-1") if isinstance(text, bytes) else text
    cleaned = shown.strip().removeprefix("Bearer ").strip()
    if looks_like_jwt(cleaned):
        return inspect_jwt(cleaned, keystore, now, issuer=issuer, audience=audience)
    # Bytes go to the XML parser as they are: the document may declare its own encoding.
    return inspect_saml(text, keystore, now, issuer=issuer, audience=audience)
