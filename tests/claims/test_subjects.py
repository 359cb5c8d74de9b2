"""Pairwise subjects: same per ministry, different across ministries and people, stable."""

from __future__ import annotations

from sqlalchemy import func, select

from idp.claims.models import MinistryIdentity
from idp.claims.subjects import pairwise_subject
from idp.extensions import db


def test_same_ministry_same_subject_other_ministry_other(runtime, factory):
    person = factory.person().account
    melccfp = pairwise_subject(db.session, runtime, person.id, "melccfp")
    assert pairwise_subject(db.session, runtime, person.id, "melccfp") == melccfp
    amf = pairwise_subject(db.session, runtime, person.id, "amf")
    assert amf != melccfp
    assert len(melccfp) >= 43


def test_two_people_never_share_a_subject(runtime, factory):
    first = factory.person(name="Marie Tremblay").account
    second = factory.person(name="Jean Roy").account
    assert pairwise_subject(db.session, runtime, first.id, "amf") != pairwise_subject(
        db.session, runtime, second.id, "amf"
    )


def test_subject_survives_a_new_secret_key(app_config, clock, factory, runtime):
    from idp import create_app

    person = factory.person().account
    subject = pairwise_subject(db.session, runtime, person.id, "melccfp")
    db.session.commit()
    other = create_app({**app_config, "secret_key": "another-secret-key-" + "x" * 40}, clock=clock)
    with other.app_context():
        again = pairwise_subject(db.session, other.extensions["idp.runtime"], person.id, "melccfp")
        db.session.remove()
    assert again == subject


def test_concurrent_first_use_keeps_one_row(runtime, factory, monkeypatch):
    from idp.claims import subjects

    person = factory.person().account
    real_find = subjects._find
    calls = []

    def find_after_another_worker_wrote(session, account_id, ministry_key):
        calls.append(1)
        if len(calls) == 1:
            # Our first read sees nothing; meanwhile another worker commits its row.
            db.session.add(
                MinistryIdentity(
                    account_id=person.id,
                    ministry_key="amf",
                    subject="winner",
                    created_at=runtime.clock(),
                )
            )
            db.session.flush()
            return None
        return real_find(session, account_id, ministry_key)

    monkeypatch.setattr(subjects, "_find", find_after_another_worker_wrote)
    assert pairwise_subject(db.session, runtime, person.id, "amf") == "winner"
    db.session.commit()
    assert db.session.scalar(select(func.count(MinistryIdentity.id))) == 1
