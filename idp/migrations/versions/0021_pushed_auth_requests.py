"""Pushed authorization requests (RFC 9126): one row per request_uri until it is answered.

Revision ID: 0021_pushed_auth_requests
Revises: 0020_audit_chain
Create Date: 2026-12-06 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_pushed_auth_requests'
down_revision = '0020_audit_chain'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('oidc_pushed_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uri_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('browser_hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_pushed_requests')),
    sa.UniqueConstraint('uri_hash', name=op.f('uq_oidc_pushed_requests_uri_hash'))
    )
    with op.batch_alter_table('oidc_pushed_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_pushed_requests_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('oidc_pushed_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_pushed_requests_expires_at'))

    op.drop_table('oidc_pushed_requests')
