"""A letter's addressee: `notices.mail_to` (the postal address a paper customer gave, NULL meaning the
account's service address) and `notices.mail_zip` (its ZIP, the print run's mailing order)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 05:55:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

TO_PRINT = "delivery = 'post' AND print_run_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_to', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('mail_zip', sa.String(length=10), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:  # the rebuild would turn the partial index into a full one: made again after
        op.drop_index('ix_notices_to_print', table_name='notices')
        bind.exec_driver_sql("COMMIT")
        bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
        bind.exec_driver_sql("BEGIN IMMEDIATE")
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('mail_zip')
        batch_op.drop_column('mail_to')
    if sqlite:
        op.create_index('ix_notices_to_print', 'notices', ['id'], unique=False, sqlite_where=sa.text(TO_PRINT))
        bind.exec_driver_sql("COMMIT")
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")
