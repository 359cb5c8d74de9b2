"""Audit chain: each event takes a place (stream, seq) in a hash chain; stream heads; signed
checkpoints, append-only like the events.

Events already recorded are chained here, in id order within their streams, with the same
encoding as idp/audit/chain.py (copied below: a migration never changes with the app's code;
tests/test_migrations.py checks that the two agree). The append-only triggers are lifted for
that one UPDATE, which fills only the new columns, and put back.

Revision ID: 0020_audit_chain
Revises: 0019_security_events
Create Date: 2026-12-07 09:00:00.000000

"""
import hashlib
import json
from datetime import UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_audit_chain'
down_revision = '0019_security_events'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
ACCOUNT_STREAMS = 16


def upgrade():
    op.create_table('audit_stream_heads',
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_audit_stream_heads'))
    )
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kid', sa.String(length=128), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index('ix_audit_checkpoints_stream_seq', ['stream', 'seq'], unique=False)

    _drop_append_only('audit_events')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stream', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        for column in ('stream', 'seq', 'prev_hash', 'hash'):
            batch_op.alter_column(column, nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_stream_seq'), ['stream', 'seq'])
    _make_append_only('audit_events')
    _make_append_only('audit_checkpoints')


def downgrade():
    _drop_append_only('audit_checkpoints')
    _drop_append_only('audit_events')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_stream_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
        batch_op.drop_column('stream')
    _make_append_only('audit_events')
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_checkpoints_stream_seq')
    op.drop_table('audit_checkpoints')
    op.drop_table('audit_stream_heads')


# -- chaining the events recorded before this revision --------------------------------------------

_events = sa.table(
    'audit_events',
    sa.column('id', sa.Integer()),
    sa.column('occurred_at', sa.DateTime(timezone=True)),
    sa.column('actor_account_id', sa.Integer()),
    sa.column('subject_account_id', sa.Integer()),
    sa.column('enterprise_id', sa.Integer()),
    sa.column('action', sa.String()),
    sa.column('outcome', sa.String()),
    sa.column('client_ip', sa.String()),
    sa.column('user_agent', sa.String()),
    sa.column('details', sa.JSON()),
    sa.column('stream', sa.String()),
    sa.column('seq', sa.BigInteger()),
    sa.column('prev_hash', sa.String()),
    sa.column('hash', sa.String()),
)
_heads = sa.table(
    'audit_stream_heads',
    sa.column('stream', sa.String()),
    sa.column('seq', sa.BigInteger()),
    sa.column('hash', sa.String()),
)


def _stream(row):
    if row.enterprise_id is not None:
        return f"enterprise:{row.enterprise_id}"
    account_id = row.subject_account_id if row.subject_account_id is not None else row.actor_account_id
    if account_id is not None:
        return f"accounts:{account_id % ACCOUNT_STREAMS}"
    return "system"


def _hash(row, stream, seq, prev_hash):
    occurred_at = row.occurred_at
    if occurred_at.tzinfo is None:  # SQLite keeps UTC without the zone
        occurred_at = occurred_at.replace(tzinfo=UTC)
    content = {
        "stream": stream,
        "seq": seq,
        "prev_hash": prev_hash,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_account_id": row.actor_account_id,
        "subject_account_id": row.subject_account_id,
        "enterprise_id": row.enterprise_id,
        "action": row.action,
        "outcome": row.outcome,
        "client_ip": row.client_ip,
        "user_agent": row.user_agent,
        "details": json.loads(json.dumps(row.details or {})),
    }
    encoded = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def _chain_existing_events():
    conn = op.get_bind()
    heads = {}
    updates = []
    for row in conn.execute(sa.select(_events).order_by(_events.c.id)):
        stream = _stream(row)
        seq, prev_hash = heads.get(stream, (0, GENESIS_HASH))
        seq += 1
        digest = _hash(row, stream, seq, prev_hash)
        heads[stream] = (seq, digest)
        updates.append({"event_id": row.id, "stream": stream, "seq": seq, "prev_hash": prev_hash, "hash": digest})
    if updates:
        conn.execute(
            _events.update()
            .where(_events.c.id == sa.bindparam("event_id"))
            .values(
                stream=sa.bindparam("stream"),
                seq=sa.bindparam("seq"),
                prev_hash=sa.bindparam("prev_hash"),
                hash=sa.bindparam("hash"),
            ),
            updates,
        )
    if heads:
        conn.execute(
            _heads.insert(),
            [{"stream": s, "seq": seq, "hash": digest} for s, (seq, digest) in heads.items()],
        )


# -- the append-only triggers (as 0001_foundation made them for audit_events) ----------------------


def _make_append_only(table):
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{table} is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def _drop_append_only(table):
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
