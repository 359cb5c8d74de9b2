"""Ministry registrations, proxies and their assignments, ministry operator accounts.

Revision ID: 0002_registrations_proxies
Revises: 0001_foundation
Create Date: 2026-11-22 22:21:10.997933

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_registrations_proxies'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('ministry_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('ministry_key', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['accounts.id'], name=op.f('fk_ministry_registrations_decided_by_id_accounts')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_ministry_registrations_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['accounts.id'], name=op.f('fk_ministry_registrations_submitted_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ministry_registrations')),
    sa.UniqueConstraint('enterprise_id', 'ministry_key', name=op.f('uq_ministry_registrations_enterprise_id_ministry_key'))
    )
    with op.batch_alter_table('ministry_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ministry_registrations_ministry_key'), ['ministry_key'], unique=False)

    op.create_table('proxies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('agent_enterprise_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'external') = (agent_enterprise_id IS NOT NULL)", name=op.f('ck_proxies_agent_iff_external')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_proxies_ends_after_start')),
    sa.ForeignKeyConstraint(['agent_enterprise_id'], ['enterprises.id'], name=op.f('fk_proxies_agent_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_proxies_created_by_id_accounts')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_proxies_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxies'))
    )
    with op.batch_alter_table('proxies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proxies_agent_enterprise_id'), ['agent_enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proxies_ends_on'), ['ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_proxies_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('proxy_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proxy_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('mandator_enterprise_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_proxy_assignments_account_id_accounts')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['accounts.id'], name=op.f('fk_proxy_assignments_assigned_by_id_accounts')),
    sa.ForeignKeyConstraint(['mandator_enterprise_id'], ['enterprises.id'], name=op.f('fk_proxy_assignments_mandator_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['proxy_id'], ['proxies.id'], name=op.f('fk_proxy_assignments_proxy_id_proxies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_assignments')),
    sa.UniqueConstraint('account_id', 'mandator_enterprise_id', name=op.f('uq_proxy_assignments_account_id_mandator_enterprise_id'))
    )
    with op.batch_alter_table('proxy_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proxy_assignments_proxy_id'), ['proxy_id'], unique=False)

    op.create_table('proxy_ministries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proxy_id', sa.Integer(), nullable=False),
    sa.Column('ministry_key', sa.String(length=32), nullable=False),
    sa.Column('unrestricted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['proxy_id'], ['proxies.id'], name=op.f('fk_proxy_ministries_proxy_id_proxies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_ministries')),
    sa.UniqueConstraint('proxy_id', 'ministry_key', name=op.f('uq_proxy_ministries_proxy_id_ministry_key'))
    )
    op.create_table('proxy_rights',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proxy_ministry_id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.String(length=96), nullable=False),
    sa.ForeignKeyConstraint(['proxy_ministry_id'], ['proxy_ministries.id'], name=op.f('fk_proxy_rights_proxy_ministry_id_proxy_ministries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_rights')),
    sa.UniqueConstraint('proxy_ministry_id', 'right_id', name=op.f('uq_proxy_rights_proxy_ministry_id_right_id'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ministry_key', sa.String(length=32), nullable=True))
        batch_op.alter_column('enterprise_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_check_constraint(
            op.f('ck_accounts_belongs_to_enterprise_or_ministry'),
            '(enterprise_id IS NOT NULL) <> (ministry_key IS NOT NULL)')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_verified_at', sa.DateTime(timezone=True), nullable=True))

    


def downgrade():
    
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('code_verified_at')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_accounts_belongs_to_enterprise_or_ministry'), type_='check')
        batch_op.alter_column('enterprise_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('ministry_key')

    op.drop_table('proxy_rights')
    op.drop_table('proxy_ministries')
    with op.batch_alter_table('proxy_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proxy_assignments_proxy_id'))

    op.drop_table('proxy_assignments')
    with op.batch_alter_table('proxies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proxies_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_proxies_ends_on'))
        batch_op.drop_index(batch_op.f('ix_proxies_agent_enterprise_id'))

    op.drop_table('proxies')
    with op.batch_alter_table('ministry_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ministry_registrations_ministry_key'))

    op.drop_table('ministry_registrations')
    
