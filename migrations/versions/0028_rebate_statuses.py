"""Two application statuses for rebates: `waitlisted` (submitted, waiting for budget; issue 16) and
`reserved` (a reservation approved, the work under way and the claim not yet sent; issue 18)

SQLite changes a CHECK by rebuilding the table; many tables point at applications, so the
foreign-key checks are off during the rebuild and verified after, and the partial queue index is
dropped first and made again after (the rebuild would make it a full index).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 08:55:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

BEFORE = ("draft", "submitted", "in_review", "needs_info", "approved", "denied", "appealed", "withdrawn", "closed")
AFTER = BEFORE + ("waitlisted", "reserved")
WAITING = "status IN ('submitted', 'in_review', 'appealed')"


def _in(values: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(v) for v in values)})"


def _foreign_keys(on: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if on:
        problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems[:5]}")
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    bind.exec_driver_sql("BEGIN IMMEDIATE")


def _status_check(values: tuple[str, ...]) -> None:
    _foreign_keys(False)
    op.drop_index('ix_applications_waiting', table_name='applications')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_applications_status'), type_='check')
        batch_op.create_check_constraint('status', _in(values))
    op.create_index('ix_applications_waiting', 'applications', ['submitted_at', 'id'], unique=False,
                    sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
    _foreign_keys(True)


def upgrade() -> None:
    _status_check(AFTER)


def downgrade() -> None:
    held = op.get_bind().execute(
        sa.text("SELECT count(*) FROM applications WHERE status IN ('waitlisted', 'reserved')")).scalar()
    if held:
        raise RuntimeError(f"{held} applications waitlisted or reserved: decide or withdraw them before going back to 0027")
    _status_check(BEFORE)
