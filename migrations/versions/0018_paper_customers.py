"""Customers without an email login (phone, paper and walk-in applications): their postal address,
and that their letters go by post through the print runs

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 01:20:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postal_address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('letters_by_post', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('letters_by_post')
        batch_op.drop_column('postal_address')
