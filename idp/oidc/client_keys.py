"""Public keys of ``private_key_jwt`` clients registered by ``jwks_uri``.

Fetched over HTTPS (loopback HTTP for the demo), without following redirects, and kept for a
few minutes: a client that rotates its keys publishes the new one first, as the provider does.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

JWKS_CACHE_SECONDS = 300
FETCH_TIMEOUT_SECONDS = 5
MAX_JWKS_BYTES = 64 * 1024

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


class ClientKeysUnavailableError(RuntimeError):
    pass


def fetch_jwks(uri: str) -> dict[str, Any]:
    now = time.monotonic()
    with _lock:
        cached = _cache.get(uri)
        if cached is not None and now - cached[0] < JWKS_CACHE_SECONDS:
            return cached[1]
    try:
        response = requests.get(uri, timeout=FETCH_TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        raise ClientKeysUnavailableError(f"{uri}: {type(exc).__name__}") from exc
    if response.status_code != 200 or len(response.content) > MAX_JWKS_BYTES:
        raise ClientKeysUnavailableError(f"{uri}: HTTP {response.status_code}")
    try:
        jwks = response.json()
    except ValueError as exc:
        raise ClientKeysUnavailableError(f"{uri}: not JSON") from exc
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ClientKeysUnavailableError(f"{uri}: not a JWK set")
    with _lock:
        _cache[uri] = (now, jwks)
    return jwks


def forget_cached_keys() -> None:
    with _lock:
        _cache.clear()
