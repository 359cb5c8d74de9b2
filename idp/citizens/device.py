"""A browser that has signed in to a citizen account before: it may show the account's image.

The image and the phrase are shown on the password page only to a browser holding this
signed cookie for the user code typed. Anyone else — a new browser, or a phishing site relaying
the user code to this one — sees a neutral notice instead, so the image cannot be fetched by
typing someone's user code, and its absence tells the person something is wrong.
"""

from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE_NAME = "clicsequr_appareil"
MAX_AGE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie (RFC 6265bis)
# A shared family computer may know several accounts; the oldest is forgotten first.
MAX_ACCOUNTS = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="citizen-device")


def known_accounts() -> list[int]:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return []
    try:
        value = _serializer().loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return []
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, int)]


def recognises(account_id: int) -> bool:
    return account_id in known_accounts()


def remember(response: Response, account_id: int) -> None:
    accounts = [a for a in known_accounts() if a != account_id] + [account_id]
    response.set_cookie(
        COOKIE_NAME,
        _serializer().dumps(accounts[-MAX_ACCOUNTS:]),
        max_age=MAX_AGE_SECONDS,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
        path="/citoyens/",
    )
