"""The ESM password reset rule, case by case (conditions of use: an ESM may only suspend or
reactivate another ESM, unless the authorized representative allows resets between ESMs)."""

from __future__ import annotations

import pytest

from idp.accounts.models import AccountRole, AccountStatus
from idp.enterprises.policies import can_change_enterprise_settings, can_reset_password_of
from idp.extensions import db

# (actor, target, resets allowed by the representative, expected)
TABLE = [
    ("esm", "user", False, True),
    ("esm", "user", True, True),
    ("esm", "other_esm", False, False),
    ("esm", "other_esm", True, True),
    ("esm", "esm", True, False),  # never oneself
    ("esm", "representative", True, False),
    ("esm", "outsider_user", True, False),
    ("esm", "outsider_esm", True, False),
    ("suspended_esm", "user", True, False),
    ("representative", "user", True, False),
    ("representative", "esm", True, False),
    ("user", "other_user", True, False),
]


@pytest.fixture
def people(factory):
    enterprise = factory.enterprise("Aciérie Saint-Laurent inc.")
    other = factory.enterprise("Conseils Verts Québec inc.")
    return {
        "esm": factory.person(enterprise=enterprise).account,
        "other_esm": factory.person(enterprise=enterprise, name="Paul Bélanger").account,
        "suspended_esm": factory.person(
            enterprise=enterprise, name="Luc Ouellet", status=AccountStatus.SUSPENDED
        ).account,
        "user": factory.person(
            enterprise=enterprise, name="Jean Roy", role=AccountRole.USER
        ).account,
        "other_user": factory.person(
            enterprise=enterprise, name="Léa Roy", role=AccountRole.USER
        ).account,
        "representative": factory.person(
            enterprise=enterprise, name="Louise Gagnon", role=AccountRole.AUTHORIZED_REPRESENTATIVE
        ).account,
        "outsider_esm": factory.person(enterprise=other, name="Sophie Côté").account,
        "outsider_user": factory.person(
            enterprise=other, name="Karim Haddad", role=AccountRole.USER
        ).account,
    }


@pytest.mark.parametrize(("actor", "target", "allowed", "expected"), TABLE)
def test_can_reset_password_of(people, actor, target, allowed, expected):
    for account in people.values():
        account.enterprise.esm_password_resets_allowed = allowed
    db.session.commit()
    assert can_reset_password_of(people[actor], people[target]) is expected


@pytest.mark.parametrize(
    ("actor", "expected"),
    [("representative", True), ("esm", False), ("user", False), ("outsider_esm", False)],
)
def test_only_the_representative_changes_the_enterprise_settings(people, actor, expected):
    enterprise_id = people["esm"].enterprise_id
    assert can_change_enterprise_settings(people[actor], enterprise_id) is expected
