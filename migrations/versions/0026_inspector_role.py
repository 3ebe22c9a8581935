"""The inspector role (issue 18): `users.role` may be 'inspector'

SQLite changes a CHECK by rebuilding the table; many tables point at users, so the foreign-key
checks are off during the rebuild (as in 0021) and verified after.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 05:50:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

OLD = "role IN ('customer', 'csr', 'manager', 'admin')"
NEW = "role IN ('customer', 'csr', 'manager', 'admin', 'inspector')"


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


def _role_check(condition: str) -> None:
    _foreign_keys(False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', condition)
    _foreign_keys(True)


def upgrade() -> None:
    _role_check(NEW)


def downgrade() -> None:
    inspectors = op.get_bind().execute(sa.text("SELECT count(*) FROM users WHERE role = 'inspector'")).scalar()
    if inspectors:
        raise RuntimeError(f"{inspectors} inspectors: give them another role before going back to 0024")
    _role_check(OLD)
