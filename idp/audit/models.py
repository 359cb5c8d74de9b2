"""The audit tables. Events and checkpoints are never updated or deleted (database triggers
enforce it); each stream's head is the one row that changes, under a row lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db

# A SHA-256 in hexadecimal.
HASH_LENGTH = 64


class AuditEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_enterprise_occurred", "enterprise_id", "occurred_at"),
        Index("ix_audit_events_subject_occurred", "subject_account_id", "occurred_at"),
        # Also what keeps a chain from forking if two writers ever took the same place.
        UniqueConstraint("stream", "seq", name="uq_audit_events_stream_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    subject_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The hash chain (idp/audit/chain.py): the place in the stream and the link to the event
    # before. Set at flush, under the stream head's lock.
    stream: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AuditStreamHead(db.Model):  # type: ignore[name-defined]
    """The last event of a stream: the row appenders lock, so that a chain never forks."""

    __tablename__ = "audit_stream_heads"

    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AuditCheckpoint(db.Model):  # type: ignore[name-defined]
    """A stream's head signed with the provider's key: the chain must pass through it."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_stream_seq", "stream", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kid: Mapped[str] = mapped_column(String(128))
    # Compact JWS whose payload repeats stream, seq, hash and made_at.
    signature: Mapped[str] = mapped_column(Text)
