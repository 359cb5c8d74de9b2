"""Whether a person must (still) accept the conditions of use."""

from __future__ import annotations

from collections.abc import Collection

from idp.accounts.models import Account
from idp.conditions.documents import ConditionsVersion


def must_accept(account: Account, version: ConditionsVersion, accepted: Collection[str]) -> bool:
    """True while ``account`` has not accepted ``version`` of its own portal's conditions.

    ``accepted`` holds the versions (dates) the person accepted for that portal. Another
    portal's version never concerns the account: its people never see those pages.
    """
    return version.portal == account.portal and version.label not in accepted
