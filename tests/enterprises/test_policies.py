"""The ESM password reset rule, case by case (conditions of use: an ESM may only suspend or
reactivate another ESM, unless the authorized representative allows resets between ESMs)."""

from __future__ import annotations

import pytest

from idp.accounts.models import AccountRole, AccountStatus
from idp.enterprises.policies import (
    can_cancel_user_file,
    can_change_enterprise_settings,
    can_reset_password_of,
    can_set_status,
)
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


# (actor, target, may suspend or reactivate, may cancel)
STATUS_TABLE = [
    ("esm", "user", True, True),
    ("esm", "other_esm", True, False),  # another ESM: suspended or reactivated, not cancelled
    ("esm", "esm", False, False),  # never oneself
    ("esm", "representative", False, False),
    ("esm", "outsider_user", False, False),
    ("suspended_esm", "user", False, False),
    ("representative", "user", False, False),
    ("user", "other_user", False, False),
]


@pytest.mark.parametrize(("actor", "target", "suspends", "cancels"), STATUS_TABLE)
def test_who_may_change_the_status_of_a_user_file(people, actor, target, suspends, cancels):
    who, whom = people[actor], people[target]
    assert can_cancel_user_file(who, whom) is cancels
    assert can_set_status(who, whom, AccountStatus.CANCELLED) is cancels
    assert can_set_status(who, whom, AccountStatus.SUSPENDED) is suspends
    assert can_set_status(who, whom, AccountStatus.ACTIVE) is suspends
