"""Appenders racing on one stream never fork its chain (PostgreSQL; SQLite has one writer)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from idp.audit.checkpoints import trusted_keys
from idp.audit.models import AuditEvent
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.audit.verification import verify_chain
from idp.extensions import db
from tests.concurrency import fire_together
from tests.conftest import PG_URL

RACERS = 8
EVENTS_EACH = 3


pytestmark = pytest.mark.skipif(not PG_URL, reason="row locks are PostgreSQL's")


def test_parallel_appenders_to_one_stream_keep_one_chain(app, clock, runtime):
    # The stream exists before the race (its head row is there to be locked).
    record(db.session, clock, AuditAction.ACCOUNT_CREATE)
    db.session.commit()

    def append(racer: int) -> int:
        with app.app_context():
            for number in range(EVENTS_EACH):
                record(db.session, clock, AuditAction.ACCOUNT_LOCK, Outcome.DENIED, n=number)
            db.session.flush()  # the places are taken here...
            time.sleep(0.02)  # ...and held while the request does the rest of its work
            db.session.commit()
            db.session.remove()
            return racer

    assert fire_together([lambda r=r: append(r) for r in range(RACERS)]) == list(range(RACERS))
    db.session.expire_all()
    places = db.session.scalars(
        sa.select(AuditEvent.seq).where(AuditEvent.stream == "system").order_by(AuditEvent.seq)
    ).all()
    assert places == list(range(1, RACERS * EVENTS_EACH + 2))
    report = verify_chain(db.session, trusted_keys(runtime.keystore, []))
    assert report.ok, report.problems
    assert report.events == RACERS * EVENTS_EACH + 1


def test_parallel_first_appenders_of_a_new_stream(app, clock, runtime):
    def append() -> bool:
        with app.app_context():
            record(db.session, clock, AuditAction.ACCOUNT_LOCK, Outcome.DENIED)
            db.session.commit()
            db.session.remove()
            return True

    fire_together([append for _ in range(RACERS)])
    report = verify_chain(db.session, trusted_keys(runtime.keystore, []))
    assert report.ok, report.problems
    assert report.events == RACERS
