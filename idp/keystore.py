"""Signing keys by name: current, next and retired, loaded once per process.

Keys live in ``IDP_KEYS_DIR`` (never in git): ``keyring.json`` says which key is which, and each
key is ``<kid>.pem`` (PKCS#8, mode 0600) with, for RSA keys, a self-signed ``<kid>.crt`` for SAML
metadata. The ``kid`` is the RFC 7638 thumbprint of the public key.

Rotation order (``idp keys rotate``), so that no relying party ever meets an unknown key:

1. the *next* key has been published in the JWKS (and SAML metadata) since the last rotation;
2. it becomes *current* and signs from now on;
3. the old current key becomes *retired*: still published, so tokens it signed keep verifying,
   until ``keys_retired_retention_seconds`` (longer than any token it signed) have passed;
4. a new *next* key is made and published.

Parsing a PEM private key costs tens of milliseconds: keys are parsed here once and kept as key
objects; nothing re-imports them per request.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc.jwk import ECKey, KeySet, RSAKey

from idp.clock import Clock

KEYRING_FILE = "keyring.json"
RSA_BITS = 2048
EC_CURVE = "P-256"
CERTIFICATE_YEARS = 5

# Which key type signs with which algorithm.
ALGORITHM_KEY_TYPES = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC"}
KEY_TYPES = ("RSA", "EC")

SigningKey = RSAKey | ECKey


class KeyState(StrEnum):
    CURRENT = "current"
    NEXT = "next"
    RETIRED = "retired"
    # Known only from a published set (a relying party's view: a JWKS or SAML metadata does not
    # say which key is which). Never in the provider's own keyring.
    PUBLISHED = "published"


class KeystoreError(RuntimeError):
    """The keys directory is missing, incomplete or unreadable; the message says what to do."""


@dataclass
class KeyEntry:
    kid: str
    kty: str
    state: KeyState
    created_at: datetime
    key: SigningKey = field(repr=False)
    retired_at: datetime | None = None
    certificate_pem: bytes | None = field(default=None, repr=False)

    def public_jwk(self) -> dict[str, Any]:
        jwk = dict(self.key.as_dict(private=False))
        jwk.update({"kid": self.kid, "use": "sig"})
        if self.kty == "EC":
            jwk["alg"] = "ES256"
        return jwk


class KeyStore:
    """The keys of this process, read once from the keys directory."""

    def __init__(self, entries: list[KeyEntry], clock: Clock, retention: timedelta) -> None:
        self._entries = entries
        self._clock = clock
        self._retention = retention
        self._by_kid = {entry.kid: entry for entry in entries}

    # -- reading -----------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path, clock: Clock, retention: timedelta) -> KeyStore:
        keyring = directory / KEYRING_FILE
        if not keyring.exists():
            raise KeystoreError(
                f"No signing keys in {directory}: run `idp keys generate` (the development and "
                "demo profiles do it on first start)."
            )
        store = cls(_parsed_entries(directory), clock, retention)
        for kty in KEY_TYPES:
            store.current(kty)
        return store

    def current(self, kty: str) -> KeyEntry:
        for entry in self._entries:
            if entry.kty == kty and entry.state == KeyState.CURRENT:
                return entry
        raise KeystoreError(f"No current {kty} key: run `idp keys generate`.")

    def next(self, kty: str) -> KeyEntry | None:
        return next((e for e in self._entries if e.kty == kty and e.state == KeyState.NEXT), None)

    def signing_key(self, alg: str) -> KeyEntry:
        """The current key that signs with ``alg`` (RS256, PS256, ES256)."""
        try:
            return self.current(ALGORITHM_KEY_TYPES[alg])
        except KeyError as exc:
            raise KeystoreError(f"Unsupported signing algorithm {alg!r}") from exc

    def find(self, kid: str) -> KeyEntry | None:
        entry = self._by_kid.get(kid)
        return entry if entry is not None and self._published(entry) else None

    def published(self) -> list[KeyEntry]:
        """Current, next, and retired keys whose tokens may still be in circulation."""
        return [entry for entry in self._entries if self._published(entry)]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JSON Web Key Set, public parts only."""
        return {"keys": [entry.public_jwk() for entry in self.published()]}

    def key_set(self) -> KeySet:
        """The published keys as a joserfc key set (for verifying our own tokens)."""
        return KeySet([entry.key for entry in self.published()])

    def _published(self, entry: KeyEntry) -> bool:
        if entry.state != KeyState.RETIRED:
            return True
        return entry.retired_at is not None and self._clock() - entry.retired_at < self._retention

    @property
    def entries(self) -> list[KeyEntry]:
        return list(self._entries)


# -- writing (the `idp keys` commands) -----------------------------------------------------------


def generate_keys(directory: Path, clock: Clock, issuer: str) -> list[KeyEntry]:
    """Make a current and a next key of each type where missing; returns the keys made."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    entries = _read_all(directory)
    made = []
    for kty in KEY_TYPES:
        for state in (KeyState.CURRENT, KeyState.NEXT):
            if not any(e.kty == kty and e.state == state for e in entries):
                entry = _new_entry(kty, state, clock(), issuer)
                entries.append(entry)
                made.append(entry)
    _write_all(directory, entries)
    return made


def rotate_keys(
    directory: Path, clock: Clock, issuer: str, retention: timedelta, kty: str | None = None
) -> list[KeyEntry]:
    """Next becomes current, current becomes retired, a new next is made; old retired go."""
    entries = _read_all(directory)
    if not entries:
        raise KeystoreError(f"No keys in {directory}: run `idp keys generate` first.")
    now = clock()
    kept = []
    for entry in entries:
        expired = entry.retired_at is not None and now - entry.retired_at >= retention
        if entry.state == KeyState.RETIRED and expired:
            _remove_files(directory, entry)
        else:
            kept.append(entry)
    made = []
    for key_type in [kty] if kty else list(KEY_TYPES):
        current = next(e for e in kept if e.kty == key_type and e.state == KeyState.CURRENT)
        upcoming = next((e for e in kept if e.kty == key_type and e.state == KeyState.NEXT), None)
        if upcoming is None:
            raise KeystoreError(f"No next {key_type} key to promote: run `idp keys generate`.")
        current.state, current.retired_at = KeyState.RETIRED, now
        upcoming.state = KeyState.CURRENT
        fresh = _new_entry(key_type, KeyState.NEXT, now, issuer)
        kept.append(fresh)
        made.append(fresh)
    _write_all(directory, kept)
    return made


def _new_entry(kty: str, state: KeyState, now: datetime, issuer: str) -> KeyEntry:
    key: SigningKey
    if kty == "RSA":
        key = RSAKey.generate_key(RSA_BITS, private=True)
    else:
        key = ECKey.generate_key(EC_CURVE, private=True)
    kid = key.thumbprint()
    certificate = _self_signed_certificate(key, issuer, now) if isinstance(key, RSAKey) else None
    return KeyEntry(kid, kty, state, now, key, certificate_pem=certificate)


def _self_signed_certificate(key: RSAKey, issuer: str, now: datetime) -> bytes:
    """The certificate SAML metadata carries; trust comes from the metadata, not a CA."""
    private = key.private_key
    if not isinstance(private, rsa.RSAPrivateKey):
        raise KeystoreError("RSA key without its private part")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[:64])])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CERTIFICATE_YEARS))
        .sign(private, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


# Parsed keys per directory, reused while keyring.json is unchanged: an app built twice in one
# process (tests, the CLI) does not pay for parsing the private keys again.
_PARSED: dict[Path, tuple[tuple[int, int], list[KeyEntry]]] = {}


def _parsed_entries(directory: Path) -> list[KeyEntry]:
    stat = (directory / KEYRING_FILE).stat()
    signature = (stat.st_mtime_ns, stat.st_size)
    cached = _PARSED.get(directory)
    if cached is None or cached[0] != signature:
        cached = (signature, _read_all(directory))
        _PARSED[directory] = cached
    return cached[1]


def _read_all(directory: Path) -> list[KeyEntry]:
    keyring = directory / KEYRING_FILE
    if not keyring.exists():
        return []
    return [_read_entry(directory, item) for item in json.loads(keyring.read_text())["keys"]]


def _read_entry(directory: Path, item: dict[str, Any]) -> KeyEntry:
    kid, kty = item["kid"], item["kty"]
    try:
        pem = (directory / f"{kid}.pem").read_bytes()
    except FileNotFoundError as exc:
        raise KeystoreError(f"Key file {kid}.pem is missing from {directory}") from exc
    key: SigningKey = RSAKey.import_key(pem) if kty == "RSA" else ECKey.import_key(pem)
    certificate_path = directory / f"{kid}.crt"
    return KeyEntry(
        kid=kid,
        kty=kty,
        state=KeyState(item["state"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        key=key,
        retired_at=datetime.fromisoformat(item["retired_at"]) if item.get("retired_at") else None,
        certificate_pem=certificate_path.read_bytes() if certificate_path.exists() else None,
    )


def _write_all(directory: Path, entries: list[KeyEntry]) -> None:
    for entry in entries:
        pem_path = directory / f"{entry.kid}.pem"
        if not pem_path.exists():
            # Created private from the start: never world-readable, not even for an instant.
            fd = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as file:
                file.write(entry.key.as_pem(private=True))
        if entry.certificate_pem is not None:
            (directory / f"{entry.kid}.crt").write_bytes(entry.certificate_pem)
    keyring = {
        "keys": [
            {
                "kid": e.kid,
                "kty": e.kty,
                "state": str(e.state),
                "created_at": e.created_at.isoformat(),
                "retired_at": e.retired_at.isoformat() if e.retired_at else None,
            }
            for e in entries
        ]
    }
    temporary = directory / (KEYRING_FILE + ".tmp")
    temporary.write_text(json.dumps(keyring, indent=2) + "\n")
    temporary.replace(directory / KEYRING_FILE)


def _remove_files(directory: Path, entry: KeyEntry) -> None:
    for suffix in (".pem", ".crt"):
        (directory / f"{entry.kid}{suffix}").unlink(missing_ok=True)
