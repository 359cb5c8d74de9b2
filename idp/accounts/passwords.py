"""argon2id password hashing.

Parameters follow OWASP (19 MiB, t=2, p=1) and come from the settings, so they can be raised;
a hash made with older parameters is replaced at the next successful sign-in.
"""

from __future__ import annotations

import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from idp.config import Settings


def normalize_password(password: str) -> str:
    """NFKC, as NIST SP 800-63B 5.1.1.2 asks, so the same password typed on any keyboard matches."""
    return unicodedata.normalize("NFKC", password)


class PasswordHashing:
    """Hash and verify passwords; also verifies for unknown accounts at the same cost."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost_kib,
            parallelism=settings.argon2_parallelism,
        )
        # A real hash of a random value, with the current parameters: verifying against it
        # for an unknown user code costs exactly what a real verification costs.
        self._dummy_hash = self._hasher.hash("unknown-account-" + secrets.token_hex(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(normalize_password(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches; with ``None`` does the same work and returns False."""
        try:
            self._hasher.verify(password_hash or self._dummy_hash, normalize_password(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
