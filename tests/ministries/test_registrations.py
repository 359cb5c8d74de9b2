"""Registration for a ministry's online services and the ministry's decision."""

from __future__ import annotations

import pytest

from idp.accounts.models import AccountRole
from idp.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from idp.extensions import db
from idp.ministries.models import RegistrationStatus
from idp.ministries.services import (
    active_ministry_keys,
    decide_registration,
    submit_registration,
)
from tests.proxies.conftest import ANSWERS, operator


@pytest.fixture
def esm(factory):
    return factory.person(name="Marie Tremblay").account


def submit(runtime, esm, ministry="melccfp", answers=None):
    registration = submit_registration(
        db.session,
        runtime,
        esm,
        enterprise_id=esm.enterprise_id,
        ministry_key=ministry,
        answers=ANSWERS[ministry] if answers is None else answers,
    )
    db.session.commit()
    return registration


def test_submission_is_pending_until_the_ministry_decides(runtime, esm):
    registration = submit(runtime, esm)
    assert registration.status == RegistrationStatus.PENDING
    assert active_ministry_keys(db.session, esm.enterprise_id) == set()
    decide_registration(
        db.session, runtime, operator(runtime, "melccfp"), registration, activate=True
    )
    assert registration.status == RegistrationStatus.ACTIVE
    assert active_ministry_keys(db.session, esm.enterprise_id) == {"melccfp"}


def test_refusal_needs_a_reason_and_allows_a_new_submission(runtime, esm):
    registration = submit(runtime, esm)
    op = operator(runtime, "melccfp")
    with pytest.raises(ValidationError):
        decide_registration(db.session, runtime, op, registration, activate=False, reason=" ")
    decide_registration(
        db.session, runtime, op, registration, activate=False, reason="NEQ inconnu au registre"
    )
    assert registration.status == RegistrationStatus.REFUSED
    assert registration.decision_reason == "NEQ inconnu au registre"
    again = submit(runtime, esm)
    assert again.id == registration.id
    assert again.status == RegistrationStatus.PENDING


def test_a_decided_registration_cannot_be_decided_again(runtime, esm):
    registration = submit(runtime, esm)
    op = operator(runtime, "melccfp")
    decide_registration(db.session, runtime, op, registration, activate=True)
    with pytest.raises(ConflictError):
        decide_registration(db.session, runtime, op, registration, activate=False, reason="x")


def test_only_that_ministry_operator_decides(runtime, esm):
    registration = submit(runtime, esm)
    with pytest.raises(ForbiddenError):
        decide_registration(
            db.session, runtime, operator(runtime, "amf"), registration, activate=True
        )
    with pytest.raises(ForbiddenError):
        decide_registration(db.session, runtime, esm, registration, activate=True)


def test_double_submission_refused(runtime, esm):
    submit(runtime, esm)
    with pytest.raises(ConflictError):
        submit(runtime, esm)


@pytest.mark.parametrize(
    "answers", [{}, {"establishment_count": " "}, {"establishment_count": "2", "extra": "x"}]
)
def test_every_question_must_be_answered(runtime, esm, answers):
    with pytest.raises(ValidationError):
        submit(runtime, esm, answers=answers)


def test_unknown_ministry(runtime, esm):
    with pytest.raises(NotFoundError):
        submit_registration(
            db.session,
            runtime,
            esm,
            enterprise_id=esm.enterprise_id,
            ministry_key="nowhere",
            answers={},
        )


def test_only_the_enterprise_esm_submits(runtime, factory, esm):
    user = factory.person(enterprise=esm.enterprise, name="Jean Roy", role=AccountRole.USER)
    other_esm = factory.person(name="Paul Nord").account
    for actor in (user.account, other_esm):
        with pytest.raises(ForbiddenError):
            submit_registration(
                db.session,
                runtime,
                actor,
                enterprise_id=esm.enterprise_id,
                ministry_key="melccfp",
                answers=ANSWERS["melccfp"],
            )


def test_simultaneous_submissions_keep_one_registration(runtime, esm, monkeypatch):
    from sqlalchemy import func, select

    from idp.ministries import services
    from idp.ministries.models import MinistryRegistration

    submit(runtime, esm)
    # The second ESM's request read "not registered" just before the first one committed.
    monkeypatch.setattr(services, "registration_of", lambda *args: None)
    with pytest.raises(ConflictError):
        submit(runtime, esm)
    db.session.commit()  # the transaction is still usable
    count = db.session.scalar(select(func.count(MinistryRegistration.id)))
    assert count == 1
