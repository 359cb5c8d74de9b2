"""Passkeys (WebAuthn) and the challenges of their ceremonies.

Revision ID: 0017_passkeys
Revises: 0016_known_browsers
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_passkeys'
down_revision = '0016_known_browsers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('passkeys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.String(length=1400), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('backed_up', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_passkeys_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkeys')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_passkeys_credential_id'))
    )
    with op.batch_alter_table('passkeys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkeys_account_id'), ['account_id'], unique=False)
    op.create_table('passkey_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_passkey_challenges_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkey_challenges')),
    sa.UniqueConstraint('challenge', name=op.f('uq_passkey_challenges_challenge'))
    )
    with op.batch_alter_table('passkey_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkey_challenges_account_id'), ['account_id'], unique=False)


def downgrade():
    with op.batch_alter_table('passkey_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkey_challenges_account_id'))
    op.drop_table('passkey_challenges')
    with op.batch_alter_table('passkeys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkeys_account_id'))
    op.drop_table('passkeys')
