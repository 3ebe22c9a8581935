"""A renewal's confirmation kept: `assistance_applications.confirmed_members`, the people from last
time the customer confirmed as still right (their places in the household), so the submit step
checks what the household step recorded instead of trusting that the customer passed through it

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 10:40:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assistance_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_members', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assistance_applications', schema=None) as batch_op:
        batch_op.drop_column('confirmed_members')
