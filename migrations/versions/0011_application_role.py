"""The application role: web processes and workers connect as a role that owns nothing

On PostgreSQL the owner (who runs migrations) creates the role named by DATABASE_APP_ROLE
(default assist_app) when it does not exist yet, and grants it reading and writing, but not
UPDATE, DELETE or TRUNCATE on the append-only history. migrations/env.py applies the same grants
again after every upgrade, so tables of later migrations are covered. Nothing happens on SQLite.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 21:40:00
"""
from __future__ import annotations

from alembic import context, op

import core.database

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _role() -> str:
    app = context.config.attributes.get("app")
    return app.config["DATABASE_APP_ROLE"] if app is not None else core.database.DEFAULT_APPLICATION_ROLE


def upgrade() -> None:
    core.database.grant_application_role(op.get_bind(), _role())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    role = _role()
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar_one()
    # The role itself stays: it belongs to the cluster and may serve other databases.
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}")
    op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {role}")
