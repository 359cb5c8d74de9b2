"""The audit trail as JSON Lines for a SIEM: one event per line, chain fields included.

Each line carries everything the event's hash covers (see idp/audit/chain.py), so a SIEM can
recompute the hashes and links itself: the SHA-256 of the line's object without ``id`` and
``hash``, encoded with sorted keys and no spaces, is ``hash``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TextIO

from sqlalchemy import select

from idp.audit.chain import event_content
from idp.audit.models import AuditEvent
from idp.db_types import DbSession

_BATCH = 1000


def export_events(
    session: DbSession, out: TextIO, *, since: datetime | None = None, stream: str | None = None
) -> int:
    """Write the events (in the order they were stored) as JSON Lines; how many were written."""
    table = AuditEvent.__table__
    query = select(table).order_by(table.c.id)
    if since is not None:
        query = query.where(table.c.occurred_at >= since)
    if stream is not None:
        query = query.where(table.c.stream == stream)
    written = 0
    with session.execute(query.execution_options(yield_per=_BATCH)) as rows:
        for row in rows:
            line = {"id": row.id, **event_content(row), "hash": row.hash}
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            written += 1
    return written
