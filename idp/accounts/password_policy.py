"""Password rules after NIST SP 800-63B section 5.1.1.2.

At least 12 characters, not a common or breached password (list shipped in ``idp/data``), not
built from the account's own identifiers. No composition rules and no periodic expiry.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

from flask_babel import lazy_gettext as _l

from idp.accounts.passwords import normalize_password
from idp.errors import ValidationError

# A password that is a listed one with digits or symbols appended ("motdepasse2026!") is as
# weak as the listed one: attackers try those suffixes first.
_TRAILING_DECORATION = re.compile(r"[\d\W_]+$")
_MIN_BASE_LENGTH = 4


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased, loaded once per process."""
    data = resources.files("idp.data").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def check_password(
    password: str,
    *,
    min_length: int,
    max_length: int,
    context: Iterable[str] = (),
) -> None:
    """Raise :class:`ValidationError` with a message for the person if the password is refused."""
    password = normalize_password(password)
    if len(password) < min_length:
        raise ValidationError(
            _l("The password must have at least %(min)d characters.", min=min_length)
        )
    if len(password) > max_length:
        raise ValidationError(
            _l("The password must have at most %(max)d characters.", max=max_length)
        )
    if is_common(password):
        raise ValidationError(
            _l(
                "This password is too common: it appears in lists of leaked passwords. "
                "Choose another, for example a phrase of several words."
            )
        )
    lowered = password.casefold()
    for word in context:
        word = (word or "").casefold().replace("-", "")
        if len(word) >= _MIN_BASE_LENGTH and word in lowered.replace("-", ""):
            raise ValidationError(
                _l("The password must not contain your user code, name or email address.")
            )


def is_common(password: str) -> bool:
    lowered = password.casefold()
    listed = common_passwords()
    if lowered in listed:
        return True
    base = _TRAILING_DECORATION.sub("", lowered)
    return len(base) >= _MIN_BASE_LENGTH and base != lowered and base in listed
