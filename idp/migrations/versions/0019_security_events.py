"""The outbox of security events pushed to relying parties (RFC 8417, RFC 8935).

Revision ID: 0019_security_events
Revises: 0018_saml_authn_classes
Create Date: 2026-12-06 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_security_events'
down_revision = '0018_saml_authn_classes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('security_event_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=120), nullable=False),
    sa.Column('jti', sa.String(length=43), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_security_event_deliveries_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_event_deliveries')),
    sa.UniqueConstraint('jti', name=op.f('uq_security_event_deliveries_jti'))
    )
    with op.batch_alter_table('security_event_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_event_deliveries_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_deliveries_next_attempt_at'), ['next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('security_event_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_event_deliveries_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_security_event_deliveries_account_id'))

    op.drop_table('security_event_deliveries')
