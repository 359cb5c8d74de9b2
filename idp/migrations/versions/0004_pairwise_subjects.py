"""Pairwise subjects: one random identifier per account and ministry (OIDC sub, SAML NameID).

Revision ID: 0004_pairwise_subjects
Revises: 0003_mailbox_account_details
Create Date: 2026-11-22 22:37:34.592931

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_pairwise_subjects'
down_revision = '0003_mailbox_account_details'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('ministry_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('ministry_key', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ministry_identities_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ministry_identities')),
    sa.UniqueConstraint('account_id', 'ministry_key', name=op.f('uq_ministry_identities_account_id_ministry_key')),
    sa.UniqueConstraint('subject', name=op.f('uq_ministry_identities_subject'))
    )
    


def downgrade():
    
    op.drop_table('ministry_identities')
    
