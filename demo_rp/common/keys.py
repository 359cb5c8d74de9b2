"""A site's own secrets, made on first run in its instance directory (never in git).

- the client key (``<site>-client-key.pem``): it signs the ``private_key_jwt`` client
  assertions; an RSA key (RS256) or a P-256 key (ES256), as the site's registration says. Its
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

from joserfc.jwk import ECKey, RSAKey

from demo_rp.common.site import KeyAlgorithm

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
RSA_BITS = 2048
EC_CURVE = "P-256"  # ES256 (RFC 7518, 3.4)

ClientKey = RSAKey | ECKey


def _write_private(path: Path, content: bytes) -> None:
    """Create ``path`` readable by its owner only; never overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _key_class(alg: KeyAlgorithm) -> type[RSAKey] | type[ECKey]:
    return ECKey if alg == "ES256" else RSAKey


def _generate(alg: KeyAlgorithm) -> ClientKey:
    if alg == "ES256":
        return ECKey.generate_key(EC_CURVE, private=True)
    return RSAKey.generate_key(RSA_BITS, private=True)


def _with_kid(key: ClientKey, alg: KeyAlgorithm) -> ClientKey:
    """The key with its RFC 7638 thumbprint as ``kid``, ``use`` and ``alg`` set."""
    return _key_class(alg).import_key(
        key.as_pem(private=True),
        parameters={"kid": key.thumbprint(), "use": "sig", "alg": alg},
    )


def load_client_key(instance_dir: Path, file_name: str, alg: KeyAlgorithm) -> ClientKey:
    """The client key, generated the first time."""
    path = instance_dir / file_name
    if not path.exists():
        generated = _generate(alg)
        # Made meanwhile by another process: that one is used.
        with contextlib.suppress(FileExistsError):
            _write_private(path, generated.as_pem(private=True))
    key = _key_class(alg).import_key(path.read_bytes())
    if alg == "ES256" and key.as_dict().get("crv") != EC_CURVE:
        raise ValueError(f"{path} is not a {EC_CURVE} key, which ES256 needs")
    return _with_kid(key, alg)


def public_jwks(key: ClientKey) -> dict[str, Any]:
    """The key set to publish: the public half only."""
    public: dict[str, Any] = dict(key.as_dict(private=False))
    public.update({"kid": key.kid, "use": "sig", "alg": key.alg})
    return {"keys": [public]}


def load_secret_key(instance_dir: Path) -> str:
    path = instance_dir / SECRET_KEY_FILE
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            _write_private(path, secrets.token_urlsafe(48).encode("ascii"))
    return path.read_text("ascii").strip()
