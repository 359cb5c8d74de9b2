"""``client_secret_basic``: the client's id and secret in an HTTP Basic header (RFC 6749 2.3.1).

It replaces authlib's reading of the header, which lets a header that is not UTF-8 once decoded
raise ``UnicodeDecodeError`` (a 500) and an empty one raise ``ValueError``. Here a client that
sent an ``Authorization: Basic`` header it cannot have meant is answered as RFC 6749 5.2 asks:
401, ``invalid_client``, and a ``WWW-Authenticate: Basic`` challenge.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote

from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidClientError

from idp.oidc.clients import RegisteredClient
from idp.oidc.parameters import MAX_JWT_LENGTH

_MALFORMED = "The Authorization header does not hold Basic client credentials (RFC 7617)."


def authenticate_client_secret_basic(
    query_client: Any, request: OAuth2Request
) -> RegisteredClient | None:
    """The client named and proved by the Basic header; None when there is no such header."""
    credentials = basic_credentials(request.headers.get("Authorization"))
    if credentials is None:
        return None
    client_id, secret = credentials
    client = query_client(client_id)
    if client is None:
        raise InvalidClientError(
            status_code=401, description="The client does not exist on this server."
        )
    return client if client.check_client_secret(secret) else None


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` of a Basic header; None for another scheme or none.

    Base64 of UTF-8 ``id:secret``, each form-urlencoded first (RFC 6749 2.3.1), so each is
    percent-decoded too; anything that does not decode so is refused.
    """
    scheme, _space, token = (header or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    token = token.strip()
    if not token or len(token) > MAX_JWT_LENGTH:
        raise _malformed()
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8")
        client_id, colon, secret = decoded.partition(":")
        credentials = unquote(client_id, errors="strict"), unquote(secret, errors="strict")
    except (binascii.Error, ValueError) as exc:  # ValueError: UnicodeDecodeError among others
        raise _malformed() from exc
    if not colon or not all(value.isprintable() for value in credentials):
        raise _malformed()
    return credentials


def _malformed() -> InvalidClientError:
    return InvalidClientError(status_code=401, description=_MALFORMED)
