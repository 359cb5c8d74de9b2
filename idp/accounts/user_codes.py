"""User codes: generated, easy to read aloud, never derived from the email.

Enterprise accounts: four letters then four digits (``KXMP-4827``); citizen accounts the other
way round (``4827-KXMP``), so a person holding both never mixes them up. Letters and digits
that are confused when read or heard (I, L, O, 0, 1) are left out.
"""

from __future__ import annotations

import re
import secrets

LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"
DIGITS = "23456789"
_CANONICAL = re.compile(rf"[{LETTERS}]{{4}}-[{DIGITS}]{{4}}|[{DIGITS}]{{4}}-[{LETTERS}]{{4}}")


def generate_user_code(*, citizen: bool = False) -> str:
    letters = "".join(secrets.choice(LETTERS) for _ in range(4))
    digits = "".join(secrets.choice(DIGITS) for _ in range(4))
    return f"{digits}-{letters}" if citizen else f"{letters}-{digits}"


def normalize_user_code(raw: str) -> str:
    """The canonical form of what a person typed: upper case, spaces and dashes ignored.

    Anything that cannot be a user code comes back normalised all the same, so the caller
    treats it exactly like an unknown code (no hint that the format was wrong).
    """
    compact = re.sub(r"[\s\-]", "", (raw or "").upper())[:32]
    if len(compact) == 8:
        return f"{compact[:4]}-{compact[4:]}"
    return compact


def is_well_formed(code: str) -> bool:
    return bool(_CANONICAL.fullmatch(code))
