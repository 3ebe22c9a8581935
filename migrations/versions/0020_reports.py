"""Participation reports: test records kept out of reports, program managers, eligible-population
estimates, report jobs

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 04:20:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.database

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_record', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_record', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('program_managers',
    sa.Column('id', ID, nullable=False),
    sa.Column('program_id', ID, nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('assigned_at', core.database.UTCDateTime(), nullable=False),
    sa.Column('assigned_by_label', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_program_managers_program_id_programs')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_program_managers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_managers')),
    sa.UniqueConstraint('program_id', 'user_id', name=op.f('uq_program_managers_program_id_user_id'))
    )
    with op.batch_alter_table('program_managers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_managers_program_id'), ['program_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_program_managers_user_id'), ['user_id'], unique=False)
    op.create_table('eligible_estimates',
    sa.Column('id', ID, nullable=False),
    sa.Column('program_id', ID, nullable=False),
    sa.Column('zip', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('loaded_at', core.database.UTCDateTime(), nullable=False),
    sa.Column('loaded_by_label', sa.String(length=254), nullable=False),
    sa.CheckConstraint('households >= 0', name=op.f('ck_eligible_estimates_households')),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_eligible_estimates_year')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_eligible_estimates_program_id_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligible_estimates')),
    sa.UniqueConstraint('program_id', 'zip', 'year', name=op.f('uq_eligible_estimates_program_id_zip_year'))
    )
    op.create_table('report_jobs',
    sa.Column('id', ID, nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('report', sa.String(length=40), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('requested_by_id', ID, nullable=False),
    sa.Column('created_at', core.database.UTCDateTime(), nullable=False),
    sa.Column('started_at', core.database.UTCDateTime(), nullable=True),
    sa.Column('finished_at', core.database.UTCDateTime(), nullable=True),
    sa.Column('expires_at', core.database.UTCDateTime(), nullable=True),
    sa.Column('storage_name', sa.String(length=64), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', ID, nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('notified', sa.Boolean(), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'expired')", name=op.f('ck_report_jobs_status')),
    sa.CheckConstraint('size_bytes IS NULL OR size_bytes >= 0', name=op.f('ck_report_jobs_size_bytes')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_report_jobs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_jobs')),
    sa.UniqueConstraint('token', name=op.f('uq_report_jobs_token'))
    )
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_jobs_requested_by_id'), ['requested_by_id'], unique=False)


def downgrade() -> None:
    op.drop_table('report_jobs')
    op.drop_table('eligible_estimates')
    op.drop_table('program_managers')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('test_record')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('test_record')
