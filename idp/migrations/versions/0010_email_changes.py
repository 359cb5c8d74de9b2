"""Email changes for every account (not only citizens), with who asked for them.

Revision ID: 0010_email_changes
Revises: 0009_code_nonce_index
Create Date: 2026-12-05 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_email_changes'
down_revision = '0009_code_nonce_index'
branch_labels = None
depends_on = None

_COPIED = 'id, account_id, email, confirmation_hash, created_at, expires_at, confirmed_at'


def upgrade():
    op.create_table('email_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('confirmation_hash', sa.String(length=64), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_email_changes_account_id_accounts')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['accounts.id'], name=op.f('fk_email_changes_requested_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_changes')),
    sa.UniqueConstraint('confirmation_hash', name=op.f('uq_email_changes_confirmation_hash'))
    )
    with op.batch_alter_table('email_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_changes_account_id'), ['account_id'], unique=False)
    # Citizens' changes so far were all asked by the citizen.
    op.execute(
        f'INSERT INTO email_changes ({_COPIED}, requested_by_id) '
        f'SELECT {_COPIED}, account_id FROM citizen_email_changes'
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "SELECT setval(pg_get_serial_sequence('email_changes', 'id'), "
            "COALESCE((SELECT max(id) FROM email_changes), 0) + 1, false)"
        )
    with op.batch_alter_table('citizen_email_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citizen_email_changes_account_id'))
    op.drop_table('citizen_email_changes')


def downgrade():
    op.create_table('citizen_email_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('confirmation_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_citizen_email_changes_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_email_changes')),
    sa.UniqueConstraint('confirmation_hash', name=op.f('uq_citizen_email_changes_confirmation_hash'))
    )
    with op.batch_alter_table('citizen_email_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_email_changes_account_id'), ['account_id'], unique=False)
    # Only citizens' changes go back: the old table knew no others.
    op.execute(
        f'INSERT INTO citizen_email_changes ({_COPIED}) '
        f'SELECT {", ".join("e." + c.strip() for c in _COPIED.split(","))} '
        "FROM email_changes e JOIN accounts a ON a.id = e.account_id WHERE a.role = 'citizen'"
    )
    with op.batch_alter_table('email_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_changes_account_id'))
    op.drop_table('email_changes')
