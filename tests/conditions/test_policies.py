"""Who must accept the conditions of use: one row per case."""

from __future__ import annotations

from datetime import date

import pytest

from idp.accounts.models import Account, AccountRole, Portal
from idp.conditions.documents import ConditionsVersion
from idp.conditions.policies import must_accept

V1 = "2026-01-15"
V2 = "2026-03-01"


def version(portal: Portal, label: str) -> ConditionsVersion:
    return ConditionsVersion(portal, date.fromisoformat(label), {})


@pytest.mark.parametrize(
    ("role", "version_portal", "in_force", "accepted", "expected"),
    [
        # Never accepted anything: first sign-in.
        (AccountRole.ESM, Portal.ENTERPRISE, V1, set(), True),
        (AccountRole.USER, Portal.ENTERPRISE, V1, set(), True),
        (AccountRole.MINISTRY_OPERATOR, Portal.ENTERPRISE, V1, set(), True),
        (AccountRole.PROVIDER_OPERATOR, Portal.ENTERPRISE, V1, set(), True),
        (AccountRole.CITIZEN, Portal.CITIZEN, V1, set(), True),
        # The version in force accepted.
        (AccountRole.ESM, Portal.ENTERPRISE, V1, {V1}, False),
        (AccountRole.CITIZEN, Portal.CITIZEN, V1, {V1}, False),
        # A new version published since: accepted again.
        (AccountRole.ESM, Portal.ENTERPRISE, V2, {V1}, True),
        (AccountRole.CITIZEN, Portal.CITIZEN, V2, {V1}, True),
        (AccountRole.CITIZEN, Portal.CITIZEN, V2, {V1, V2}, False),
        # Another portal's conditions never concern the account.
        (AccountRole.ESM, Portal.CITIZEN, V1, set(), False),
        (AccountRole.CITIZEN, Portal.ENTERPRISE, V1, set(), False),
    ],
)
def test_must_accept(role, version_portal, in_force, accepted, expected):
    account = Account(role=role)
    assert must_accept(account, version(version_portal, in_force), accepted) is expected
