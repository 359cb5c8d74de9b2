"""Account details (names, telephone), mailbox messages, proxy expiry marker.

Revision ID: 0003_mailbox_account_details
Revises: 0002_registrations_proxies
Create Date: 2026-11-22 22:27:01.948356

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_mailbox_account_details'
down_revision = '0002_registrations_proxies'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('mailbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_fr', sa.String(length=200), nullable=False),
    sa.Column('subject_en', sa.String(length=200), nullable=False),
    sa.Column('body_fr', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dedupe_key', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_mailbox_messages_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailbox_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_mailbox_messages_dedupe_key'))
    )
    with op.batch_alter_table('mailbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mailbox_messages_account_read', ['account_id', 'read_at'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('last_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('telephone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('telephone_extension', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('proxies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expiry_recorded_at', sa.DateTime(timezone=True), nullable=True))

    


def downgrade():
    
    with op.batch_alter_table('proxies', schema=None) as batch_op:
        batch_op.drop_column('expiry_recorded_at')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('telephone_extension')
        batch_op.drop_column('telephone')
        batch_op.drop_column('last_name')
        batch_op.drop_column('first_name')

    with op.batch_alter_table('mailbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_mailbox_messages_account_read')

    op.drop_table('mailbox_messages')
    
