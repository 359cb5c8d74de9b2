"""Who may register at a ministry, end a registration, or ask again: one table per rule."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from idp.accounts.models import AccountRole, AccountStatus
from idp.enterprises.models import EnterpriseStatus
from idp.ministries import policies
from idp.ministries.models import RegistrationStatus as S

ESM_OF_1 = SimpleNamespace(
    is_active=True, role=AccountRole.ESM, enterprise_id=1, ministry_key=None, id=10
)
ESM_OF_2 = SimpleNamespace(
    is_active=True, role=AccountRole.ESM, enterprise_id=2, ministry_key=None, id=20
)
USER_OF_1 = SimpleNamespace(
    is_active=True, role=AccountRole.USER, enterprise_id=1, ministry_key=None, id=11
)
SUSPENDED_ESM_OF_1 = SimpleNamespace(
    is_active=False,
    status=AccountStatus.SUSPENDED,
    role=AccountRole.ESM,
    enterprise_id=1,
    ministry_key=None,
    id=12,
)
MELCCFP_OPERATOR = SimpleNamespace(
    is_active=True, role=AccountRole.MINISTRY_OPERATOR, enterprise_id=None, ministry_key="melccfp"
)
AMF_OPERATOR = SimpleNamespace(
    is_active=True, role=AccountRole.MINISTRY_OPERATOR, enterprise_id=None, ministry_key="amf"
)


def registration(status: S, enterprise_id: int = 1, ministry_key: str = "melccfp"):
    return SimpleNamespace(status=status, enterprise_id=enterprise_id, ministry_key=ministry_key)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (EnterpriseStatus.ACTIVE, True),
        (EnterpriseStatus.PENDING_ACTIVATION, False),
        (EnterpriseStatus.REFUSED, False),
        (EnterpriseStatus.SUSPENDED, False),
        (EnterpriseStatus.CANCELLED, False),
    ],
)
def test_enterprise_may_register(status, expected):
    enterprise = SimpleNamespace(status=status, is_active=status == EnterpriseStatus.ACTIVE)
    assert policies.enterprise_may_register(enterprise) is expected


def test_no_enterprise_may_not_register():
    assert policies.enterprise_may_register(None) is False


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, True),
        (S.PENDING, False),
        (S.ACTIVE, False),
        (S.REFUSED, True),
        (S.WITHDRAWN, True),
        (S.CANCELLED, True),
    ],
)
def test_can_submit(status, expected):
    assert policies.can_submit(None if status is None else registration(status)) is expected


@pytest.mark.parametrize(
    ("actor", "status", "expected"),
    [
        (ESM_OF_1, S.ACTIVE, True),
        (ESM_OF_1, S.PENDING, True),
        (ESM_OF_1, S.REFUSED, False),
        (ESM_OF_1, S.WITHDRAWN, False),
        (ESM_OF_1, S.CANCELLED, False),
        (ESM_OF_2, S.ACTIVE, False),  # another enterprise's ESM
        (USER_OF_1, S.ACTIVE, False),  # a user of the enterprise
        (SUSPENDED_ESM_OF_1, S.ACTIVE, False),
        (MELCCFP_OPERATOR, S.ACTIVE, False),  # the ministry withdraws, it does not cancel
    ],
)
def test_can_cancel(actor, status, expected):
    assert policies.can_cancel(actor, registration(status)) is expected


@pytest.mark.parametrize(
    ("actor", "status", "expected"),
    [
        (MELCCFP_OPERATOR, S.ACTIVE, True),
        (MELCCFP_OPERATOR, S.PENDING, False),  # a pending one is decided, not withdrawn
        (MELCCFP_OPERATOR, S.REFUSED, False),
        (MELCCFP_OPERATOR, S.WITHDRAWN, False),
        (MELCCFP_OPERATOR, S.CANCELLED, False),
        (AMF_OPERATOR, S.ACTIVE, False),  # another ministry's operator
        (ESM_OF_1, S.ACTIVE, False),
    ],
)
def test_can_withdraw(actor, status, expected):
    assert policies.can_withdraw(actor, registration(status)) is expected
