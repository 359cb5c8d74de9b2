"""Enterprise lifecycle: pending activation, refused, suspended, cancelled; provider operators.

Revision ID: 0011_enterprise_lifecycle
Revises: 0010_email_changes
Create Date: 2026-12-06 00:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_enterprise_lifecycle'
down_revision = '0010_email_changes'
branch_labels = None
depends_on = None

_STATUSES = "'pending_activation', 'active', 'refused', 'suspended', 'cancelled'"
_ATTACHED_BEFORE = (
    "(role = 'citizen' AND enterprise_id IS NULL AND ministry_key IS NULL) OR "
    "(role <> 'citizen' AND (enterprise_id IS NOT NULL) <> (ministry_key IS NOT NULL))")
_UNATTACHED = "('citizen', 'provider_operator')"
_ATTACHED_AFTER = (
    f"(role IN {_UNATTACHED} AND enterprise_id IS NULL AND ministry_key IS NULL) OR "
    f"(role NOT IN {_UNATTACHED} AND (enterprise_id IS NOT NULL) <> (ministry_key IS NOT NULL))")


def upgrade():
    # The old « inactive » was never set by the code; should a row hold it, it was a suspension.
    op.execute("UPDATE enterprises SET status = 'suspended' WHERE status = 'inactive'")
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=24), existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_enterprises_known_status'), f'status IN ({_STATUSES})')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_accounts_belongs_to_enterprise_or_ministry'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_accounts_belongs_to_enterprise_or_ministry'), _ATTACHED_AFTER)


def downgrade():
    op.execute("DELETE FROM accounts WHERE role = 'provider_operator'")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_accounts_belongs_to_enterprise_or_ministry'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_accounts_belongs_to_enterprise_or_ministry'), _ATTACHED_BEFORE)
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enterprises_known_status'), type_='check')
    op.execute("UPDATE enterprises SET status = 'inactive' WHERE status <> 'active'")
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=24),
                              type_=sa.String(length=16), existing_nullable=False)
