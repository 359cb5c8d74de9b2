"""Conditions of use: who accepted which version of their portal's conditions.

Revision ID: 0014_conditions_of_use
Revises: 0013_account_recovery
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_conditions_of_use'
down_revision = '0013_account_recovery'
branch_labels = None
depends_on = None


def upgrade():
    # No row for the people already there: each accepts the version in force at their next
    # sign-in, as after any new version.
    op.create_table('conditions_acceptances',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('portal', sa.String(length=16), nullable=False),
    sa.Column('version', sa.String(length=10), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_conditions_acceptances_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'portal', 'version', name=op.f('pk_conditions_acceptances'))
    )


def downgrade():
    op.drop_table('conditions_acceptances')
