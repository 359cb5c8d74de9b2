"""What someone with write access to the database does: lift the append-only triggers, edit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from idp.audit.chain import event_hash
from idp.audit.models import AuditEvent
from idp.extensions import db

APPEND_ONLY_TABLES = ("audit_events", "audit_checkpoints")


def _triggers(enable: bool) -> None:
    postgres = db.engine.dialect.name == "postgresql"
    for table in APPEND_ONLY_TABLES:
        if postgres:
            verb = "ENABLE" if enable else "DISABLE"
            db.session.execute(sa.text(f"ALTER TABLE {table} {verb} TRIGGER {table}_append_only"))
            continue
        for event in ("update", "delete"):
            if enable:
                db.session.execute(
                    sa.text(
                        f"CREATE TRIGGER {table}_no_{event} BEFORE {event.upper()} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                    )
                )
            else:
                db.session.execute(sa.text(f"DROP TRIGGER {table}_no_{event}"))
    db.session.commit()


@contextmanager
def tampering() -> Iterator[None]:
    """The append-only triggers are off inside (and on again after, for the next test)."""
    _triggers(enable=False)
    try:
        yield
        db.session.commit()
    finally:
        db.session.rollback()
        _triggers(enable=True)
        db.session.expire_all()


def edit(table: str, where: str, **values: Any) -> None:
    """``UPDATE table SET values WHERE where`` in plain SQL, as an intruder would."""
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    # The table, columns and condition are the tests' own literals; the values are bound.
    statement = f"UPDATE {table} SET {assignments} WHERE {where}"  # noqa: S608
    db.session.execute(sa.text(statement), values)


def rehash_from(stream: str, seq: int) -> None:
    """Recompute every hash and link from ``seq`` on, and the head: a careful intruder without
    the signing key."""
    table = AuditEvent.__table__
    rows = db.session.execute(
        sa.select(table).where(table.c.stream == stream, table.c.seq >= seq - 1).order_by("seq")
    ).all()
    previous = None
    for row in rows:
        if row.seq >= seq:
            event = SimpleNamespace(**{**row._mapping, "prev_hash": previous or row.prev_hash})
            event.hash = event_hash(event)  # type: ignore[arg-type]
            edit("audit_events", f"id = {row.id}", prev_hash=event.prev_hash, hash=event.hash)
            row = event
        previous = row.hash
    edit("audit_stream_heads", f"stream = '{stream}'", hash=previous)
