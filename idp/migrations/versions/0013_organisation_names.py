"""The article of an enterprise's name, for French sentences (« d'Aciérie... », « du Groupe... »).

Revision ID: 0013_organisation_names
Revises: 0010_email_changes
Create Date: 2026-12-12 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_organisation_names'
down_revision = '0010_email_changes'
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
