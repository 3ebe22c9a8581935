"""Document parse retries: the attempts a parse has had and when it last moved (for the reconciliation)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.database

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parse_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('parse_updated_at', core.database.UTCDateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_documents_parse_attempts'), 'parse_attempts >= 0')


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_documents_parse_attempts'), type_='check')
        batch_op.drop_column('parse_updated_at')
        batch_op.drop_column('parse_attempts')
