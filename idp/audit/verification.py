"""Proving a range of the audit trail untouched, or naming the first event that is not.

For each stream, in ``seq`` order: the places are contiguous (a gap is a deleted event), each
event links to the hash of the one before, each hash is recomputed from the event's content,
and the chain passes through every checkpoint with a valid signature. Past the last event, no
checkpoint and no stream head may name a later place (the tail was cut). A stream's first kept
event after ``seq`` 1 must be anchored by a checkpoint at the place just before it: that is how
a retention purge (which deletes a prefix of a stream ending at a checkpoint, and keeps that
checkpoint) leaves a chain that still verifies.

What it cannot see: an event rewritten after the last checkpoint *with* every later hash
recomputed, and the last events cut together with their stream head, until the next
checkpoint or an external copy (the SIEM export, the logged checkpoints) is compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select

from idp.audit.chain import GENESIS_HASH, event_hash
from idp.audit.checkpoints import signature_problem
from idp.audit.models import AuditCheckpoint, AuditEvent, AuditStreamHead
from idp.db_types import DbSession
from idp.keystore import SigningKey

_BATCH = 1000


class ProblemKind(StrEnum):
    CONTENT_ALTERED = "content altered"
    LINK_BROKEN = "link to the previous event broken"
    ROWS_DELETED = "event(s) deleted"
    ROWS_REORDERED = "events reordered"
    TAIL_DELETED = "tail deleted (chain shorter than a checkpoint or its head)"
    CHECKPOINT_MISMATCH = "chain does not pass through a checkpoint"
    CHECKPOINT_INVALID = "checkpoint signature invalid"


@dataclass(frozen=True, slots=True)
class ChainProblem:
    kind: ProblemKind
    stream: str
    seq: int | None
    event_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f"stream {self.stream}"
        if self.seq is not None:
            where += f" seq {self.seq}"
        if self.event_id is not None:
            where += f" (event id {self.event_id})"
        return f"{where}: {self.kind}: {self.detail}"


@dataclass
class VerificationReport:
    events: int = 0
    streams: int = 0
    checkpoints: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class Range:
    """Which events to verify; every bound is optional (inclusive)."""

    stream: str | None = None
    from_seq: int | None = None
    to_seq: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def verify_chain(
    session: DbSession, keys: Mapping[str, SigningKey], scope: Range | None = None
) -> VerificationReport:
    """Check every stream in the range against its chain and its checkpoints."""
    scope = scope or Range()
    report = VerificationReport()
    for stream in _streams(session, scope.stream):
        bounds = _seq_bounds(session, stream, scope)
        if bounds is None:
            continue
        report.streams += 1
        _StreamCheck(session, keys, stream, *bounds, report).run()
    return report


def _streams(session: DbSession, only: str | None) -> list[str]:
    if only is not None:
        return [only]
    # Streams whose events are all gone still have a head and checkpoints.
    names: set[str] = set(session.scalars(select(AuditStreamHead.stream)))
    names.update(session.scalars(select(AuditCheckpoint.stream).distinct()))
    names.update(session.scalars(select(AuditEvent.stream).distinct()))
    return sorted(names)


def _seq_bounds(session: DbSession, stream: str, scope: Range) -> tuple[int, int | None] | None:
    """The places to check, from a time range if one is given; None when nothing is in it."""
    low, high = scope.from_seq or 1, scope.to_seq
    in_stream = AuditEvent.stream == stream
    if scope.since is not None:
        first = session.scalar(
            select(func.min(AuditEvent.seq)).where(in_stream, AuditEvent.occurred_at >= scope.since)
        )
        if first is None:
            return None
        low = max(low, int(first))
    if scope.until is not None:
        last = session.scalar(
            select(func.max(AuditEvent.seq)).where(in_stream, AuditEvent.occurred_at <= scope.until)
        )
        if last is None:
            return None
        high = int(last) if high is None else min(high, int(last))
    return low, high


class _StreamCheck:
    """One stream's walk, stopping at its first problem."""

    def __init__(
        self,
        session: DbSession,
        keys: Mapping[str, SigningKey],
        stream: str,
        low: int,
        high: int | None,
        report: VerificationReport,
    ) -> None:
        self.session, self.stream, self.low, self.high = session, stream, low, high
        self.report = report
        self.checkpoints = self._valid_checkpoints(keys)

    def run(self) -> None:
        # Closed even when the walk stops early (a server-side cursor on PostgreSQL).
        with self.session.execute(self._rows_query()) as rows:
            last_seq = self._walk(rows)
        if last_seq is not None:
            self._check_tail(last_seq)

    def _walk(self, rows: Iterable[Any]) -> int | None:
        """The last place checked, or None after a problem (recorded)."""
        expected_seq, expected_prev = self.low, self._anchor(self.low - 1)
        previous: Any = None
        for row, following in _pairs(iter(rows)):
            if row.seq != expected_seq and previous is None and self._anchored_first(row):
                expected_seq, expected_prev = row.seq, row.prev_hash  # a purged prefix
            found = self._row_problem(row, expected_seq, expected_prev)
            if found is not None:
                kind, detail = found
                if kind in (ProblemKind.LINK_BROKEN, ProblemKind.CONTENT_ALTERED):
                    kind = self._or_reordered(kind, previous, row, following)
                self._problem(kind, row, detail)
                return None
            self.report.events += 1
            previous, expected_seq, expected_prev = row, row.seq + 1, row.hash
        return expected_seq - 1

    def _row_problem(
        self, row: Any, expected_seq: int, expected_prev: str | None
    ) -> tuple[ProblemKind, str] | None:
        """What is wrong with the event at its place, in the order the checks explain best."""
        if row.seq != expected_seq:
            missing = f"seq {expected_seq}" + (
                f" to {row.seq - 1}" if row.seq - 1 > expected_seq else ""
            )
            return ProblemKind.ROWS_DELETED, f"{missing} missing"
        if expected_prev is None:
            return ProblemKind.ROWS_DELETED, f"seq {row.seq - 1} missing: nothing to link to"
        if row.prev_hash != expected_prev:
            return ProblemKind.LINK_BROKEN, "prev_hash is not the hash of the event before"
        if event_hash(row) != row.hash:
            return ProblemKind.CONTENT_ALTERED, "the stored hash is not that of its content"
        checkpoint = self.checkpoints.get(row.seq)
        if checkpoint is not None and checkpoint.hash != row.hash:
            made = f"{checkpoint.made_at:%Y-%m-%d %H:%M}"
            return (
                ProblemKind.CHECKPOINT_MISMATCH,
                f"differs from checkpoint {checkpoint.id} made {made}",
            )
        return None

    def _rows_query(self) -> Select[Any]:
        table = AuditEvent.__table__
        query = select(table).where(table.c.stream == self.stream, table.c.seq >= self.low)
        if self.high is not None:
            query = query.where(table.c.seq <= self.high)
        return query.order_by(table.c.seq).execution_options(yield_per=_BATCH)

    def _anchor(self, seq: int) -> str | None:
        """The hash the event at ``seq + 1`` must link to; None when nothing says."""
        if seq == 0:
            return GENESIS_HASH
        stored = self.session.scalar(
            select(AuditEvent.hash).where(AuditEvent.stream == self.stream, AuditEvent.seq == seq)
        )
        if stored is not None:
            return str(stored)
        checkpoint = self.checkpoints.get(seq)
        return checkpoint.hash if checkpoint is not None else None

    def _anchored_first(self, row: Any) -> bool:
        """The first kept event after a purge: a valid checkpoint vouches for its predecessor."""
        checkpoint = self.checkpoints.get(row.seq - 1)
        return checkpoint is not None and checkpoint.hash == row.prev_hash

    def _valid_checkpoints(self, keys: Mapping[str, SigningKey]) -> dict[int, AuditCheckpoint]:
        query = select(AuditCheckpoint).where(AuditCheckpoint.stream == self.stream)
        if self.high is not None:
            query = query.where(AuditCheckpoint.seq <= self.high)
        valid: dict[int, AuditCheckpoint] = {}
        for checkpoint in self.session.scalars(query.order_by(AuditCheckpoint.seq)):
            self.report.checkpoints += 1
            problem = signature_problem(checkpoint, keys)
            if problem is None:
                valid[checkpoint.seq] = checkpoint
            else:
                self.report.problems.append(
                    ChainProblem(
                        ProblemKind.CHECKPOINT_INVALID,
                        self.stream,
                        checkpoint.seq,
                        None,
                        f"checkpoint {checkpoint.id}: {problem}",
                    )
                )
        return valid

    def _check_tail(self, last_seq: int) -> None:
        head = self.session.get(AuditStreamHead, self.stream)
        claims = [(seq, f"checkpoint {c.id}") for seq, c in self.checkpoints.items()]
        if head is not None:
            claims.append((head.seq, "the stream head"))
        if self.high is not None:
            claims = [(min(seq, self.high), who) for seq, who in claims]
        beyond = [(seq, who) for seq, who in claims if seq > last_seq]
        if beyond:
            seq, who = max(beyond)
            self._problem(
                ProblemKind.TAIL_DELETED,
                None,
                f"the chain ends at seq {last_seq} but {who} vouches for seq {seq}",
                seq=last_seq + 1,
            )

    def _or_reordered(
        self, kind: ProblemKind, previous: Any, row: Any, following: Any
    ) -> ProblemKind:
        """Events are stored in the order of their places: ids out of order mean a reorder."""
        before = previous is not None and row.id < previous.id
        after = following is not None and following.id < row.id
        return ProblemKind.ROWS_REORDERED if before or after else kind

    def _problem(self, kind: ProblemKind, row: Any, detail: str, *, seq: int | None = None) -> None:
        self.report.problems.append(
            ChainProblem(
                kind,
                self.stream,
                row.seq if row is not None else seq,
                row.id if row is not None else None,
                detail,
            )
        )


def _pairs(rows: Iterator[Any]) -> Iterator[tuple[Any, Any]]:
    """Each row with the one after it (None for the last)."""
    previous = next(rows, None)
    for row in rows:
        yield previous, row
        previous = row
    if previous is not None:
        yield previous, None
