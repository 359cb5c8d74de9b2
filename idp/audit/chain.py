"""The hash chain of audit events: streams, the canonical encoding, and appending at flush.

Every event belongs to a *stream* (an enterprise, a slice of the accounts without one, or the
anonymous ``system`` stream) and takes the next ``seq`` of it; its ``hash`` is a SHA-256 over
its canonical JSON content with ``seq`` and ``prev_hash`` (the hash of the event before it in
the stream, or :data:`GENESIS_HASH`). Changing, removing or reordering a stored event breaks
the chain from there on; signed checkpoints (idp/audit/checkpoints.py) anchor it.

Streams exist so that parallel requests do not queue on one lock: appending locks the stream's
row of ``audit_stream_heads`` (an ``UPDATE … RETURNING``, which waits for a concurrent appender
to commit, then reads what it wrote), and only from the flush to the commit.

The encoding is persisted evidence: changing it makes every stored chain unverifiable. The
migration 0020_audit_chain carries its own copy, checked against this one by a test.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from idp.audit.models import AuditEvent, AuditStreamHead

GENESIS_HASH = "0" * 64
SYSTEM_STREAM = "system"
# Accounts outside any enterprise (citizens, ministry and provider operators) are spread over
# this many streams by account id: one person's events stay in one stream, and citizens'
# sign-ins do not all wait on a single lock.
ACCOUNT_STREAMS = 16

_HEADS = AuditStreamHead.__table__


def stream_for(enterprise_id: int | None, subject_id: int | None, actor_id: int | None) -> str:
    """The stream of an event: its enterprise's, else its account's slice, else ``system``."""
    if enterprise_id is not None:
        return f"enterprise:{enterprise_id}"
    account_id = subject_id if subject_id is not None else actor_id
    if account_id is not None:
        return f"accounts:{account_id % ACCOUNT_STREAMS}"
    return SYSTEM_STREAM


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the one byte string a value hashes as."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


# An event as the ORM loads it, or a row of its table (verification and export read rows).
StoredEvent = AuditEvent | Row[Any]


def event_content(event: StoredEvent) -> dict[str, Any]:
    """Everything an event says, as the hash covers it (``id`` aside: a storage detail)."""
    return {
        "stream": event.stream,
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "occurred_at": _utc_iso(event.occurred_at),
        "actor_account_id": event.actor_account_id,
        "subject_account_id": event.subject_account_id,
        "enterprise_id": event.enterprise_id,
        "action": event.action,
        "outcome": event.outcome,
        "client_ip": event.client_ip,
        "user_agent": event.user_agent,
        # As the JSON column hands it back (tuples become lists, keys strings).
        "details": json.loads(json.dumps(event.details or {})),
    }


def event_hash(event: StoredEvent) -> str:
    return hashlib.sha256(canonical_json(event_content(event))).hexdigest()


# -- appending -----------------------------------------------------------------------------------


@sa_event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Give the events about to be inserted their place in their streams."""
    unchained = [o for o in session.new if isinstance(o, AuditEvent) and o.hash is None]
    if not unchained:
        return
    # The order they were added in, which is also the order of their INSERTs.
    unchained.sort(key=lambda o: sa.inspect(o).insert_order or 0)
    by_stream: dict[str, list[AuditEvent]] = {}
    for event in unchained:
        by_stream.setdefault(event.stream, []).append(event)
    # Always the same order of locks, so two flushes never wait on each other crosswise.
    for stream in sorted(by_stream):
        _append(session, stream, by_stream[stream])


def _append(session: Session, stream: str, events: list[AuditEvent]) -> None:
    last_seq, previous = _advance_head(session, stream, len(events))
    seq = last_seq - len(events)
    for event in events:
        seq += 1
        event.seq, event.prev_hash = seq, previous
        event.hash = previous = event_hash(event)
    session.execute(sa.update(_HEADS).where(_HEADS.c.stream == stream).values(hash=previous))


def _advance_head(session: Session, stream: str, count: int) -> tuple[int, str]:
    """Reserve ``count`` places (the row stays locked until commit); the new last ``seq`` and
    the hash of the event before the first reserved place."""
    advance = (
        sa.update(_HEADS)
        .where(_HEADS.c.stream == stream)
        .values(seq=_HEADS.c.seq + count)
        .returning(_HEADS.c.seq, _HEADS.c.hash)
    )
    row = session.execute(advance).one_or_none()
    if row is None:
        # The stream's first event: two first appenders both try; one insert wins, the other
        # waits for it and then finds the row.
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(_HEADS)
            .values(stream=stream, seq=0, hash=GENESIS_HASH)
            .on_conflict_do_nothing(index_elements=["stream"])
        )
        row = session.execute(advance).one()
    return int(row.seq), str(row.hash)
