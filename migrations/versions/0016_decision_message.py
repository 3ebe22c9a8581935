"""Decision message: what the customer reads, kept apart from the staff's internal note

A program's decision keeps the internal note (`note`) and, new, the message for the customer
(`message`), which the approval or denial letter quotes; the note never reaches a letter.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 01:10:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('application_programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('application_programs', schema=None) as batch_op:
        batch_op.drop_column('message')
