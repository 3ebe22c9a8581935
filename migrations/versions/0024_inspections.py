"""Inspections of rebate projects and the time slots the utility publishes

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 05:15:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.database

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('inspection_slots',
    sa.Column('id', ID, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.Column('zip_code', sa.String(length=10), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.Column('created_at', core.database.UTCDateTime(), nullable=False),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_inspection_slots_capacity')),
    sa.CheckConstraint('booked >= 0 AND booked <= capacity', name=op.f('ck_inspection_slots_booked')),
    sa.CheckConstraint('ends > starts', name=op.f('ck_inspection_slots_window')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_slots'))
    )
    with op.batch_alter_table('inspection_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_slots_day'), ['day'], unique=False)
    op.create_table('inspections',
    sa.Column('id', ID, nullable=False),
    sa.Column('application_id', ID, nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('slot_id', ID, nullable=True),
    sa.Column('window_starts', core.database.UTCDateTime(), nullable=True),
    sa.Column('window_ends', core.database.UTCDateTime(), nullable=True),
    sa.Column('call_requested', sa.Boolean(), nullable=False),
    sa.Column('reschedules', sa.Integer(), nullable=False),
    sa.Column('inspector_id', ID, nullable=True),
    sa.Column('result', sa.String(length=24), nullable=True),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('measured_area', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('fix_due_on', sa.Date(), nullable=True),
    sa.Column('follows_id', ID, nullable=True),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('created_at', core.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', core.database.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("stage IN ('reservation', 'claim')", name=op.f('ck_inspections_stage')),
    sa.CheckConstraint("kind IN ('pre', 'post', 'quality')", name=op.f('ck_inspections_kind')),
    sa.CheckConstraint("status IN ('requested', 'scheduled', 'completed', 'no_show', 'cancelled')", name=op.f('ck_inspections_status')),
    sa.CheckConstraint("result IS NULL OR result IN ('pass', 'fail', 'remediation_required')", name=op.f('ck_inspections_result')),
    sa.CheckConstraint("(status = 'completed') = (result IS NOT NULL)", name=op.f('ck_inspections_completed_result')),
    sa.CheckConstraint('reschedules >= 0 AND reschedules <= 2', name=op.f('ck_inspections_reschedules')),
    sa.CheckConstraint('measured_area IS NULL OR measured_area >= 0', name=op.f('ck_inspections_measured_area')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_inspections_application_id_applications')),
    sa.ForeignKeyConstraint(['slot_id'], ['inspection_slots.id'], name=op.f('fk_inspections_slot_id_inspection_slots')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_inspections_inspector_id_users')),
    sa.ForeignKeyConstraint(['follows_id'], ['inspections.id'], name=op.f('fk_inspections_follows_id_inspections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_inspector_id'), ['inspector_id'], unique=False)
    op.create_table('inspection_photos',
    sa.Column('id', ID, nullable=False),
    sa.Column('inspection_id', ID, nullable=False),
    sa.Column('document_id', ID, nullable=False),
    sa.Column('added_at', core.database.UTCDateTime(), nullable=False),
    sa.Column('added_by_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_photos_inspection_id_inspections')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_inspection_photos_document_id_documents')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_inspection_photos_added_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_photos')),
    sa.UniqueConstraint('inspection_id', 'document_id', name=op.f('uq_inspection_photos_inspection_id_document_id'))
    )
    with op.batch_alter_table('inspection_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_photos_inspection_id'), ['inspection_id'], unique=False)


def downgrade() -> None:
    op.drop_table('inspection_photos')
    op.drop_table('inspections')
    op.drop_table('inspection_slots')
