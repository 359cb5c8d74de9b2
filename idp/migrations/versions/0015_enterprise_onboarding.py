"""Enterprise onboarding: self-service applications, the legal form, the last status decision.

Revision ID: 0015_enterprise_onboarding
Revises: 0014_conditions_of_use
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_enterprise_onboarding'
down_revision = '0014_conditions_of_use'
branch_labels = None
depends_on = None

_LEGAL_FORMS = (
    "'business_corporation', 'general_partnership', 'limited_partnership', "
    "'sole_proprietorship', 'non_profit', 'cooperative', 'other_legal_person'")


def upgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_form', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.Text(), nullable=True))
    op.create_table('enterprise_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('legal_form', sa.String(length=32), nullable=False),
    sa.Column('representative_first_name', sa.String(length=100), nullable=False),
    sa.Column('representative_last_name', sa.String(length=100), nullable=False),
    sa.Column('representative_position', sa.String(length=100), nullable=False),
    sa.Column('representative_email', sa.String(length=254), nullable=False),
    sa.Column('representative_telephone', sa.String(length=32), nullable=False),
    sa.Column('representative_extension', sa.String(length=4), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('representative_id', sa.Integer(), nullable=True),
    sa.CheckConstraint(f'legal_form IN ({_LEGAL_FORMS})', name=op.f('ck_enterprise_applications_known_legal_form')),
    sa.CheckConstraint("decision IS NULL OR decision IN ('activated', 'refused')", name=op.f('ck_enterprise_applications_known_decision')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['accounts.id'], name=op.f('fk_enterprise_applications_decided_by_id_accounts')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_enterprise_applications_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['representative_id'], ['accounts.id'], name=op.f('fk_enterprise_applications_representative_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_applications'))
    )
    with op.batch_alter_table('enterprise_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_applications_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprise_applications_submitted_at'), ['submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('enterprise_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_applications_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_enterprise_applications_enterprise_id'))
    op.drop_table('enterprise_applications')
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('legal_form')
