"""The authentication classes a pending SAML request accepts (passkeys: urn:clicsequr:acr:phr).

Revision ID: 0018_saml_authn_classes
Revises: 0017_passkeys
Create Date: 2026-12-06 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_saml_authn_classes'
down_revision = '0017_passkeys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('saml_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authn_classes', sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table('saml_requests', schema=None) as batch_op:
        batch_op.drop_column('authn_classes')
