"""Bounds on the parameters a client sends, checked before authlib reads them.

Three reasons to check before the protocol does:

- authlib quotes some values in its error descriptions (``response_type``, ``redirect_uri``),
  and an error description must be printable ASCII (RFC 6749 4.1.2.1): authlib raises
  ``ValueError`` on anything else, which would be a 500;
- some values are stored in columns of fixed width (``nonce``: 512, ``redirect_uri``: 2000), and
  PostgreSQL refuses a longer one where SQLite would keep it;
- every value may come back in a redirect or a page (``state``, the request resumed after
  sign-in), and a megabyte should not.

So every parameter has a length bound, no parameter may carry a control character (PostgreSQL
text holds no NUL), and the parameters RFC 6749 Appendix A defines as ``VSCHAR`` strings must be
printable ASCII. A request out of bounds is an ``invalid_request`` that names the parameter and
never quotes its value.
"""

from __future__ import annotations

import re
from datetime import timedelta

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from werkzeug.datastructures import MultiDict

# Per parameter where the default does not fit. Tokens and assertions are JWTs; a URI has the
# width of its column (oidc_authorization_codes.redirect_uri, saml_logouts.after_url).
MAX_REDIRECT_URI_LENGTH = 2000
MAX_NONCE_LENGTH = 512  # oidc_authorization_codes.nonce
MAX_JWT_LENGTH = 8192
MAX_LENGTHS = {
    "redirect_uri": MAX_REDIRECT_URI_LENGTH,
    "post_logout_redirect_uri": MAX_REDIRECT_URI_LENGTH,
    "nonce": MAX_NONCE_LENGTH,
    "scope": 2000,
    "id_token_hint": MAX_JWT_LENGTH,
    "client_assertion": MAX_JWT_LENGTH,
    "token": MAX_JWT_LENGTH,
    "access_token": MAX_JWT_LENGTH,
}
# Everything else: state, prompt, login_hint, ui_locales, codes, verifiers, and the unknown.
DEFAULT_MAX_LENGTH = 512
MAX_NAME_LENGTH = 64
# All names and values together: a request is repeated whole in the pages between the steps
# of an authorization (their form action) and in the address to resume after a sign-in.
MAX_TOTAL_LENGTH = 16_384

# RFC 6749 Appendix A: VSCHAR (%x20-7E) strings (scope: NQCHAR tokens and spaces).
PRINTABLE_ASCII = frozenset(
    {
        "client_id",
        "client_secret",
        "response_type",
        "redirect_uri",
        "post_logout_redirect_uri",
        "scope",
        "state",
        "response_mode",
        "code_challenge",
        "code_challenge_method",
        "grant_type",
        "code",
        "code_verifier",
        "refresh_token",
        "token",
        "token_type_hint",
    }
)
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Ten digits is over 300 years: every session is younger, and a timedelta holds it.
MAX_AGE_DIGITS = 10
# A name quoted in an error description: plain enough for its restricted character set.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.\-]+")


def check_parameters(parameters: MultiDict[str, str]) -> None:
    """Raise ``invalid_request`` for the first parameter out of bounds (names and values)."""
    total = 0
    for name in parameters:
        for value in parameters.getlist(name):
            problem = parameter_problem(name, value)
            if problem:
                raise InvalidRequestError(problem)
            total += len(name) + len(value)
    if total > MAX_TOTAL_LENGTH:
        raise InvalidRequestError(f"The request is longer than {MAX_TOTAL_LENGTH} characters.")


def parameter_problem(name: str, value: str) -> str | None:
    """What is wrong with one parameter, as a description safe to send (or None)."""
    if len(name) > MAX_NAME_LENGTH or _CONTROL.search(name):
        return "A parameter name is too long or has a control character."
    label = quoted_name(name)
    limit = MAX_LENGTHS.get(name, DEFAULT_MAX_LENGTH)
    if len(value) > limit:
        return f"{label} is longer than {limit} characters."
    if _CONTROL.search(value):
        return f"{label} has a control character."
    if name in PRINTABLE_ASCII and not _PRINTABLE_ASCII.fullmatch(value):
        return f"{label} may hold printable ASCII characters only (RFC 6749 Appendix A)."
    return None


def quoted_name(name: str) -> str:
    """A parameter's name as an error description may quote it (printable ASCII only)."""
    return f"'{name}'" if _PLAIN_NAME.fullmatch(name) else "A parameter"


def within_bounds(name: str, value: str | None) -> bool:
    """A value that may be sent back (``state`` in an error) or stored as is."""
    return value is None or parameter_problem(name, value) is None


def refuse_unsupported(parameters: MultiDict[str, str]) -> None:
    """Request objects, dynamic registration and response modes other than ``query``."""
    if "request" in parameters:
        raise OAuth2Error("Request objects are not supported.", error="request_not_supported")
    if "request_uri" in parameters:
        raise OAuth2Error("Request URIs are not supported.", error="request_uri_not_supported")
    if "registration" in parameters:
        raise OAuth2Error("Registration is not supported.", error="registration_not_supported")
    mode = parameters.get("response_mode")
    if mode not in (None, "query"):
        raise InvalidRequestError("Only response_mode=query is supported.")


def max_age(parameters: MultiDict[str, str]) -> timedelta | None:
    """``max_age`` in seconds; an empty parameter is absent (RFC 6749 3.1).

    ASCII digits only (``str.isdigit`` also takes ``²`` and other scripts' digits), and at most
    :data:`MAX_AGE_DIGITS` of them: a longer number would overflow a ``timedelta``.
    """
    value = parameters.get("max_age") or None
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise InvalidRequestError("'max_age' must be a whole number of seconds.")
    if len(value) > MAX_AGE_DIGITS:
        raise InvalidRequestError(f"'max_age' may have at most {MAX_AGE_DIGITS} digits.")
    return timedelta(seconds=int(value))
