"""The site's own secrets, made on first run in the instance directory (never in git).

- ``iqea-client-key.pem``: the RSA key that signs ``private_key_jwt`` client assertions; its
  public half is served at ``/.well-known/jwks.json``, the ``jwks_uri`` registered at the
  provider;
- ``secret_key``: Flask's secret key (CSRF tokens).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

CLIENT_KEY_FILE = "iqea-client-key.pem"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
CLIENT_KEY_ALG = "RS256"
RSA_BITS = 2048


def _write_private(path: Path, content: bytes) -> None:
    """Create ``path`` readable by its owner only; never overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _with_kid(key: RSAKey) -> RSAKey:
    """The key with its RFC 7638 thumbprint as ``kid``, ``use`` and ``alg`` set."""
    return RSAKey.import_key(
        key.as_pem(private=True),
        parameters={"kid": key.thumbprint(), "use": "sig", "alg": CLIENT_KEY_ALG},
    )


def load_client_key(instance_dir: Path) -> RSAKey:
    """The client key, generated the first time."""
    path = instance_dir / CLIENT_KEY_FILE
    if not path.exists():
        generated = RSAKey.generate_key(RSA_BITS, private=True)
        # Made meanwhile by another process: that one is used.
        with contextlib.suppress(FileExistsError):
            _write_private(path, generated.as_pem(private=True))
    return _with_kid(RSAKey.import_key(path.read_bytes()))


def public_jwks(key: RSAKey) -> dict[str, Any]:
    """The key set to publish: the public half only."""
    public: dict[str, Any] = dict(key.as_dict(private=False))
    public.update({"kid": key.kid, "use": "sig", "alg": CLIENT_KEY_ALG})
    return {"keys": [public]}


def load_secret_key(instance_dir: Path) -> str:
    path = instance_dir / SECRET_KEY_FILE
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            _write_private(path, secrets.token_urlsafe(48).encode("ascii"))
    return path.read_text("ascii").strip()
