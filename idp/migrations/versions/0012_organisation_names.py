"""The article of an enterprise's name, for French sentences (« d'Aciérie... », « du Groupe... »).

Revision ID: 0012_organisation_names
Revises: 0011_enterprise_lifecycle
Create Date: 2026-12-12 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_organisation_names'
down_revision = '0011_enterprise_lifecycle'
branch_labels = None
depends_on = None


def upgrade():
    # Existing enterprises take no article: « de X », elided before a vowel (idp/names.py).
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('name_article', sa.String(length=4), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_column('name_article')
