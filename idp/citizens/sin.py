"""The social insurance number: checked, then only ever kept as a keyed hash.

A SIN has 9 digits and a Luhn check digit. It is a secret of the person (it opens tax and
benefits files), so this provider never stores it, logs it or puts it in a URL: the enrolment
keeps ``HMAC-SHA256(key, digits)``, enough to tell that two enrolments are the same person and
useless to anyone holding a copy of the database without the key (10^9 numbers would otherwise
be hashed in seconds).
"""

from __future__ import annotations

import hashlib
import hmac
import re

SIN_DIGITS = 9


def sin_digits(raw: str) -> str | None:
    """The 9 digits of what the person typed (spaces and dashes allowed), if it can be a SIN."""
    digits = re.sub(r"[\s\-]", "", raw or "")
    if len(digits) != SIN_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits if luhn_valid(digits) else None


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def derive_sin_key(secret_key: str) -> bytes:
    return hashlib.sha256(b"idp social insurance number key\x00" + secret_key.encode()).digest()


def sin_hash(key: bytes, digits: str) -> str:
    return hmac.new(key, digits.encode("ascii"), "sha256").hexdigest()
