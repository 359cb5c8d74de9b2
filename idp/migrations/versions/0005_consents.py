"""Consents: what a person agreed to share with each ministry.

Revision ID: 0005_consents
Revises: 0004_pairwise_subjects
Create Date: 2026-11-22 23:45:14.758688

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_consents'
down_revision = '0004_pairwise_subjects'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('ministry_key', sa.String(length=32), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_consents_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    sa.UniqueConstraint('account_id', 'ministry_key', name=op.f('uq_consents_account_id_ministry_key'))
    )
    


def downgrade():
    
    op.drop_table('consents')
    
