"""Known browsers: a sign-in from a browser never seen on the account is told by email.

Revision ID: 0016_known_browsers
Revises: 0015_enterprise_onboarding
Create Date: 2026-12-06 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_known_browsers'
down_revision = '0015_enterprise_onboarding'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('known_browsers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_known_browsers_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_browsers')),
    sa.UniqueConstraint('account_id', 'browser_hash', name=op.f('uq_known_browsers_account_id_browser_hash'))
    )
    with op.batch_alter_table('known_browsers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_browsers_account_id'), ['account_id'], unique=False)


def downgrade():
    with op.batch_alter_table('known_browsers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_browsers_account_id'))
    op.drop_table('known_browsers')
