"""The hash chain: places and links at append, and the verifier catching each kind of change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from joserfc import jws
from joserfc.jwk import ECKey

from idp.audit.chain import GENESIS_HASH, event_hash, stream_for
from idp.audit.checkpoints import make_checkpoints, trusted_keys
from idp.audit.models import AuditCheckpoint, AuditEvent, AuditStreamHead
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.audit.verification import ProblemKind, Range, verify_chain
from idp.extensions import db
from idp.keystore import KeyStore
from tests.audit.tampering import edit, rehash_from, tampering

SYSTEM = "system"


@pytest.fixture
def keys(runtime):
    return trusted_keys(runtime.keystore, [])


@pytest.fixture
def chain(app, clock) -> list[AuditEvent]:
    """Five events of the system stream, a minute apart, committed one by one."""
    events = []
    for number in range(1, 6):
        events.append(record(db.session, clock, AuditAction.ACCOUNT_CREATE, number=number))
        db.session.commit()
        clock.advance(minutes=1)
    return events


def _checkpoint(runtime) -> list[AuditCheckpoint]:
    made = make_checkpoints(db.session, runtime.clock, runtime.keystore)
    db.session.commit()
    return made


def _only_problem(keys, scope: Range | None = None):
    report = verify_chain(db.session, keys, scope)
    assert len(report.problems) == 1, report.problems
    return report.problems[0]


# -- appending ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enterprise_id", "subject_id", "actor_id", "stream"),
    [
        (7, 3, 3, "enterprise:7"),
        (None, 35, 2, "accounts:3"),
        (None, None, 18, "accounts:2"),
        (None, None, None, "system"),
    ],
)
def test_stream_of_an_event(enterprise_id, subject_id, actor_id, stream):
    assert stream_for(enterprise_id, subject_id, actor_id) == stream


def test_events_take_contiguous_places_linked_to_the_one_before(chain):
    db.session.expire_all()
    stored = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.stream, e.seq) for e in stored] == [(SYSTEM, n) for n in range(1, 6)]
    assert stored[0].prev_hash == GENESIS_HASH
    for before, after in zip(stored, stored[1:], strict=False):
        assert after.prev_hash == before.hash
    assert all(event_hash(e) == e.hash for e in stored)
    head = db.session.get(AuditStreamHead, SYSTEM)
    assert (head.seq, head.hash) == (5, stored[-1].hash)


def test_several_events_of_one_transaction_and_streams(app, clock, factory):
    person = factory.person()  # its enterprise's stream has the creations already
    record(db.session, clock, AuditAction.ACCOUNT_LOCK, Outcome.DENIED)
    record(db.session, clock, AuditAction.ACCOUNT_UNLOCK, subject_id=person.account.id)
    record(
        db.session,
        clock,
        AuditAction.ACCOUNT_UNLOCK,
        subject_id=person.account.id,
        enterprise_id=person.account.enterprise_id,
    )
    record(db.session, clock, AuditAction.ACCOUNT_LOCK, Outcome.DENIED)
    db.session.commit()
    system = db.session.scalars(
        sa.select(AuditEvent.seq).where(AuditEvent.stream == SYSTEM).order_by(AuditEvent.id)
    ).all()
    assert system == [1, 2]
    report = verify_chain(db.session, trusted_keys(app.extensions["idp.runtime"].keystore, []))
    assert report.ok, report.problems
    assert report.streams == 3


def test_a_rolled_back_event_leaves_no_hole(app, clock, keys):
    record(db.session, clock, AuditAction.ACCOUNT_CREATE)
    db.session.commit()
    record(db.session, clock, AuditAction.ACCOUNT_CREATE)
    db.session.flush()
    db.session.rollback()
    record(db.session, clock, AuditAction.ACCOUNT_CREATE)
    db.session.commit()
    assert db.session.scalars(sa.select(AuditEvent.seq).order_by(AuditEvent.seq)).all() == [1, 2]
    assert verify_chain(db.session, keys).ok


# -- a clean chain ---------------------------------------------------------------------------------


def test_a_clean_chain_verifies(chain, runtime, keys):
    [checkpoint] = _checkpoint(runtime)
    assert (checkpoint.stream, checkpoint.seq) == (SYSTEM, 5)
    report = verify_chain(db.session, keys)
    assert report.ok, report.problems
    assert (report.events, report.streams, report.checkpoints) == (5, 1, 1)


def test_checkpoints_only_for_streams_that_moved(chain, runtime, clock):
    assert len(_checkpoint(runtime)) == 1
    assert _checkpoint(runtime) == []
    record(db.session, clock, AuditAction.ACCOUNT_CREATE)
    db.session.commit()
    [again] = _checkpoint(runtime)
    assert again.seq == 6


def test_a_range_verifies_alone(chain, keys, clock):
    with tampering():
        edit("audit_events", "seq = 5", action="tampered")
    report = verify_chain(db.session, keys, Range(SYSTEM, from_seq=2, to_seq=4))
    assert report.ok, report.problems
    assert report.events == 3
    since = chain[1].occurred_at
    until = chain[2].occurred_at
    report = verify_chain(db.session, keys, Range(since=since, until=until))
    assert (report.ok, report.events) == (True, 2)
    assert not verify_chain(db.session, keys, Range(since=since)).ok


# -- changes the verifier catches -----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"details": '{"number": 30}'},
        {"action": "accounts:account:delete"},
        {"outcome": "failure"},
        {"occurred_at": "2026-11-22 13:00:00"},
        {"client_ip": "203.0.113.9"},
    ],
    ids=["detail", "action", "outcome", "timestamp", "client-ip"],
)
def test_an_altered_event_is_named(chain, keys, change):
    with tampering():
        edit("audit_events", f"id = {chain[2].id}", **change)
    problem = _only_problem(keys)
    assert (problem.kind, problem.stream, problem.seq, problem.event_id) == (
        ProblemKind.CONTENT_ALTERED,
        SYSTEM,
        3,
        chain[2].id,
    )
    assert f"stream system seq 3 (event id {chain[2].id}): content altered" in str(problem)


def test_a_deleted_middle_event(chain, keys):
    with tampering():
        db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": chain[2].id})
    problem = _only_problem(keys)
    assert (problem.kind, problem.seq, problem.event_id) == (
        ProblemKind.ROWS_DELETED,
        4,
        chain[3].id,
    )
    assert "seq 3 missing" in problem.detail


def test_a_deleted_tail_shows_against_the_head(chain, keys):
    with tampering():
        db.session.execute(sa.text("DELETE FROM audit_events WHERE seq >= 4"))
    problem = _only_problem(keys)
    assert (problem.kind, problem.seq) == (ProblemKind.TAIL_DELETED, 4)
    assert "ends at seq 3 but the stream head vouches for seq 5" in problem.detail


def test_a_deleted_tail_and_rewound_head_show_against_a_checkpoint(chain, runtime, keys):
    _checkpoint(runtime)
    with tampering():
        db.session.execute(sa.text("DELETE FROM audit_events WHERE seq >= 4"))
        edit("audit_stream_heads", "stream = 'system'", seq=3, hash=chain[2].hash)
    problem = _only_problem(keys)
    assert problem.kind == ProblemKind.TAIL_DELETED
    assert "ends at seq 3 but checkpoint" in problem.detail


def test_a_whole_stream_deleted(chain, runtime, keys):
    _checkpoint(runtime)
    with tampering():
        db.session.execute(sa.text("DELETE FROM audit_events"))
    assert _only_problem(keys).kind == ProblemKind.TAIL_DELETED


def test_two_events_swapped_in_place(chain, keys):
    second, third = chain[1], chain[2]
    with tampering():
        edit("audit_events", f"id = {second.id}", seq=-1)
        edit("audit_events", f"id = {third.id}", seq=2)
        edit("audit_events", f"id = {second.id}", seq=3)
    problem = _only_problem(keys)
    assert (problem.kind, problem.seq, problem.event_id) == (
        ProblemKind.ROWS_REORDERED,
        2,
        third.id,
    )


def test_two_events_contents_swapped(chain, keys):
    with tampering():
        edit("audit_events", f"id = {chain[1].id}", details='{"number": 3}')
        edit("audit_events", f"id = {chain[2].id}", details='{"number": 2}')
    problem = _only_problem(keys)
    assert (problem.kind, problem.seq) == (ProblemKind.CONTENT_ALTERED, 2)


def test_a_careful_rewrite_shows_at_the_next_checkpoint(chain, runtime, keys):
    _checkpoint(runtime)
    with tampering():
        edit("audit_events", f"id = {chain[1].id}", details='{"number": 20}')
        rehash_from(SYSTEM, 2)
    problem = _only_problem(keys)
    assert (problem.kind, problem.seq) == (ProblemKind.CHECKPOINT_MISMATCH, 5)


def test_a_careful_rewrite_after_the_last_checkpoint_is_not_seen(chain, keys):
    """The limit docs/audit.md states: without a checkpoint past it, a rewrite whose hashes
    were all recomputed verifies; checkpoints often, and the SIEM's copy, close that window."""
    with tampering():
        edit("audit_events", f"id = {chain[1].id}", details='{"number": 20}')
        rehash_from(SYSTEM, 2)
    assert verify_chain(db.session, keys).ok


# -- checkpoints ----------------------------------------------------------------------------------


def test_a_checkpoint_row_edited(chain, runtime, keys):
    [checkpoint] = _checkpoint(runtime)
    with tampering():
        edit("audit_checkpoints", f"id = {checkpoint.id}", seq=4, hash=chain[3].hash)
    problem = _only_problem(keys)
    assert problem.kind == ProblemKind.CHECKPOINT_INVALID
    assert "signed payload differs" in problem.detail


def test_a_forged_checkpoint_signature(chain, runtime, keys):
    [checkpoint] = _checkpoint(runtime)
    forger = ECKey.generate_key("P-256", private=True)
    payload = jws.deserialize_compact(checkpoint.signature, keys[checkpoint.kid]).payload
    forged = jws.serialize_compact({"alg": "ES256", "kid": checkpoint.kid}, payload, forger)
    with tampering():
        edit("audit_checkpoints", f"id = {checkpoint.id}", signature=forged)
    problem = _only_problem(keys)
    assert (problem.kind, problem.seq) == (ProblemKind.CHECKPOINT_INVALID, 5)
    assert "does not verify" in problem.detail


def test_a_checkpoint_by_an_unknown_key(chain, runtime, keys):
    [checkpoint] = _checkpoint(runtime)
    with tampering():
        edit("audit_checkpoints", f"id = {checkpoint.id}", kid="someone-elses-key")
    assert "not among the trusted public keys" in _only_problem(keys).detail


def test_checkpoints_verify_after_the_key_is_gone_with_an_archived_jwks(chain, runtime, clock):
    _checkpoint(runtime)
    archived = runtime.keystore.jwks()
    without_keys = KeyStore([], clock, timedelta(days=1))
    assert not verify_chain(db.session, trusted_keys(without_keys, [])).ok
    report = verify_chain(db.session, trusted_keys(without_keys, [archived]))
    assert report.ok, report.problems


# -- retention ------------------------------------------------------------------------------------


def test_a_purge_up_to_a_checkpoint_keeps_the_rest_verifiable(app, runtime, clock, keys):
    for _ in range(3):
        record(db.session, clock, AuditAction.ACCOUNT_CREATE)
    db.session.commit()
    _checkpoint(runtime)  # at seq 3
    for _ in range(2):
        record(db.session, clock, AuditAction.ACCOUNT_CREATE)
    db.session.commit()
    with tampering():  # what a retention purge does: a prefix ending at a checkpoint
        db.session.execute(sa.text("DELETE FROM audit_events WHERE seq <= 3"))
    report = verify_chain(db.session, keys)
    assert report.ok, report.problems
    assert (report.events, report.checkpoints) == (2, 1)


def test_a_purge_not_ending_at_a_checkpoint_shows(chain, keys):
    with tampering():
        db.session.execute(sa.text("DELETE FROM audit_events WHERE seq <= 2"))
    problem = _only_problem(keys)
    assert (problem.kind, problem.seq) == (ProblemKind.ROWS_DELETED, 3)
