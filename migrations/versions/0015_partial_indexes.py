"""Partial indexes: reversals and people's actions only, so bulk credits and system records skip them

`ledger_entries.reverses_id` is set on reversals alone and `audit_records.actor_id` on what a
person did; a month's million credits, written by a job, need neither index entry.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 01:45:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

PARTIAL = (("ledger_entries", "reverses_id"), ("audit_records", "actor_id"))


def upgrade() -> None:
    for table, column in PARTIAL:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"ix_{table}_{column}", table, [column], postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for table, column in PARTIAL:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.create_index(f"ix_{table}_{column}", table, [column])
