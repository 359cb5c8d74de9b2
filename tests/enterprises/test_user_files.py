"""User-file services and the rules of who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from idp.accounts.models import AccountRole, AccountStatus, UserSession
from idp.enterprises import policies
from idp.enterprises.user_files import (
    UserFileData,
    create_user_file,
    designate_esm,
    find_user_file,
    reset_password,
    set_status,
    update_user_file,
)
from idp.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    StepUpRequiredError,
    ValidationError,
)
from idp.extensions import db

DATA = UserFileData("Jean", "Roy", "jean.roy@example.com", "418 555-0123", "1234")


@pytest.fixture
def staff(factory):
    enterprise = factory.enterprise()
    return {
        "enterprise": enterprise,
        "esm": factory.person(enterprise=enterprise, name="Marie Tremblay").account,
        "esm2": factory.person(enterprise=enterprise, name="Luc Tremblay").account,
        "user": factory.person(
            enterprise=enterprise, name="Anne Roy", role=AccountRole.USER
        ).account,
        "rep": factory.person(
            enterprise=enterprise, name="Louise Gagnon", role=AccountRole.AUTHORIZED_REPRESENTATIVE
        ).account,
        "other_esm": factory.person(name="Paul Nord").account,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_name": " "}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"email": "not-an-email"}, "email"),
        ({"telephone": "555-01"}, "telephone"),
        ({"extension": "12345"}, "extension"),
        ({"extension": "12a"}, "extension"),
    ],
)
def test_user_file_validation(runtime, staff, change, field):
    data = UserFileData(**{**DATA.__dict__, **change})
    with pytest.raises(ValidationError) as error:
        create_user_file(
            db.session, runtime, staff["esm"], staff["enterprise"], data, AccountRole.USER
        )
    assert error.value.details["field"] == field


def test_esm_creates_a_user(runtime, staff):
    new = create_user_file(
        db.session, runtime, staff["esm"], staff["enterprise"], DATA, AccountRole.USER
    )
    account = new.account
    assert (account.first_name, account.last_name, account.display_name) == (
        "Jean",
        "Roy",
        "Jean Roy",
    )
    assert (account.telephone, account.telephone_extension) == ("418 555-0123", "1234")
    assert account.must_change_password
    assert runtime.hashing.verify(account.password_hash, new.temporary_password)


def test_creating_an_esm_needs_a_recent_code(runtime, staff, clock):
    with pytest.raises(StepUpRequiredError):
        create_user_file(
            db.session, runtime, staff["esm"], staff["enterprise"], DATA, AccountRole.ESM
        )
    stale = clock.now - timedelta(minutes=10, seconds=1)
    with pytest.raises(StepUpRequiredError):
        create_user_file(
            db.session,
            runtime,
            staff["esm"],
            staff["enterprise"],
            DATA,
            AccountRole.ESM,
            verified_at=stale,
        )
    new = create_user_file(
        db.session,
        runtime,
        staff["esm"],
        staff["enterprise"],
        DATA,
        AccountRole.ESM,
        verified_at=clock.now - timedelta(minutes=10),
    )
    assert new.account.role == AccountRole.ESM


def test_only_own_enterprise_esm_creates_users(runtime, staff):
    for actor in (staff["user"], staff["other_esm"]):
        with pytest.raises(ForbiddenError):
            create_user_file(
                db.session, runtime, actor, staff["enterprise"], DATA, AccountRole.USER
            )


def test_representative_designates_esms_only(runtime, staff, clock):
    with pytest.raises(ForbiddenError):
        create_user_file(
            db.session, runtime, staff["rep"], staff["enterprise"], DATA, AccountRole.USER
        )
    new = create_user_file(
        db.session,
        runtime,
        staff["rep"],
        staff["enterprise"],
        DATA,
        AccountRole.ESM,
        verified_at=clock.now,
    )
    assert new.account.role == AccountRole.ESM
    designate_esm(db.session, runtime, staff["rep"], staff["user"], True, verified_at=clock.now)
    assert staff["user"].role == AccountRole.ESM
    with pytest.raises(ConflictError):
        designate_esm(db.session, runtime, staff["rep"], staff["user"], True, verified_at=clock.now)
    designate_esm(db.session, runtime, staff["rep"], staff["user"], False)
    assert staff["user"].role == AccountRole.USER
    staff["user"].status = AccountStatus.CANCELLED
    with pytest.raises(ConflictError):
        designate_esm(db.session, runtime, staff["rep"], staff["user"], True, verified_at=clock.now)
    with pytest.raises(ForbiddenError):
        designate_esm(db.session, runtime, staff["esm"], staff["user"], True, verified_at=clock.now)


def test_esm_may_only_suspend_or_reactivate_another_esm(runtime, staff):
    esm, esm2 = staff["esm"], staff["esm2"]
    set_status(db.session, runtime, esm, esm2, AccountStatus.SUSPENDED)
    set_status(db.session, runtime, esm, esm2, AccountStatus.ACTIVE)
    assert esm2.status == AccountStatus.ACTIVE
    for act in (
        lambda: update_user_file(db.session, runtime, esm, esm2, DATA),
        lambda: set_status(db.session, runtime, esm, esm2, AccountStatus.CANCELLED),
        lambda: reset_password(db.session, runtime, esm, esm2),
        lambda: set_status(db.session, runtime, esm, esm, AccountStatus.SUSPENDED),
    ):
        with pytest.raises(ForbiddenError):
            act()


def test_suspension_ends_sessions_at_once(runtime, staff, auth, factory):
    from tests.conftest import TEST_PASSWORD, Person

    user = staff["user"]
    auth.sign_in(Person(user, TEST_PASSWORD))
    assert auth.client.get("/").status_code == 200
    set_status(db.session, runtime, staff["esm"], user, AccountStatus.SUSPENDED)
    db.session.commit()
    assert auth.client.get("/").status_code == 302
    assert db.session.scalar(select(UserSession.end_reason)) == "account_inactive"


def test_cancelled_file_is_final(runtime, staff):
    user = staff["user"]
    set_status(db.session, runtime, staff["esm"], user, AccountStatus.CANCELLED)
    with pytest.raises(ConflictError):
        set_status(db.session, runtime, staff["esm"], user, AccountStatus.ACTIVE)
    with pytest.raises(ConflictError):
        reset_password(db.session, runtime, staff["esm"], user)


def test_reset_password_forces_a_change(runtime, staff):
    user = staff["user"]
    temporary = reset_password(db.session, runtime, staff["esm"], user)
    assert user.must_change_password
    assert runtime.hashing.verify(user.password_hash, temporary)


def test_find_user_file_hides_other_enterprises(staff):
    with pytest.raises(NotFoundError):
        find_user_file(db.session, staff["other_esm"], staff["user"].id)
    with pytest.raises(NotFoundError):
        find_user_file(db.session, staff["esm"], 999999)
    assert find_user_file(db.session, staff["esm"], staff["user"].id) is staff["user"]


@pytest.mark.parametrize(
    ("actor", "target", "edit", "suspend", "designate"),
    [
        ("esm", "user", True, True, False),
        ("esm", "esm2", False, True, False),
        ("esm", "esm", True, False, False),
        ("user", "user", False, False, False),
        ("other_esm", "user", False, False, False),
        ("rep", "user", False, False, True),
        ("rep", "esm", False, False, True),
    ],
)
def test_policies(staff, actor, target, edit, suspend, designate):
    a, t = staff[actor], staff[target]
    assert policies.can_edit_user_file(a, t) is edit
    assert policies.can_suspend(a, t) is suspend
    assert policies.can_designate_esm(a, t) is designate


def test_suspended_esm_manages_nothing(staff):
    staff["esm"].status = AccountStatus.SUSPENDED
    assert not policies.can_manage(staff["esm"], staff["enterprise"].id)
