"""An index for the nonce check of every authorization request (client id, nonce).

Revision ID: 0009_code_nonce_index
Revises: 0008_citizens
Create Date: 2026-11-23 08:37:22.497723

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_code_nonce_index'
down_revision = '0008_citizens'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('oidc_authorization_codes', schema=None) as batch_op:
        batch_op.create_index(
            'ix_oidc_authorization_codes_client_id_nonce', ['client_id', 'nonce'], unique=False
        )


def downgrade():
    with op.batch_alter_table('oidc_authorization_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_oidc_authorization_codes_client_id_nonce')
