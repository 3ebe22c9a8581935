"""The application role owns nothing: history stays append-only even against a hand-typed statement.

PostgreSQL runs on every machine of this project, so these tests use it in the SQLite run too:
a schema of their own, migrated as the owner, then used as the application role.
"""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import APP_ROLE, _schema_url, as_application_role, migrate

OWNER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_schema():
    base = os.environ.get("DATABASE_URL", "")
    base = base if base.startswith("postgresql") else OWNER_URL
    schema = f"assist_t_{uuid.uuid4().hex[:12]}"
    owner = create_engine(base)
    with owner.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    migrate(_schema_url(base, schema))
    yield base, schema
    with owner.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    owner.dispose()


def _seed_history(conn) -> dict[str, int]:
    """One audit record and one ledger entry, added the way the application adds them."""
    audit_id = conn.execute(text(
        "INSERT INTO audit_records (occurred_at, actor_label, action, details) "
        "VALUES (now(), 'test', 'test.role', '{}') RETURNING id")).scalar_one()
    account_id = conn.execute(text(
        "INSERT INTO accounts (number, customer_name, service_address, city, zip, services, status, "
        "meter_type, last_bill_amount_cents, updated_at) VALUES ('R-1', 'Ana', '1 Main St', 'Town', "
        "'94501', 'electric', 'active', 'individual', 1000, now()) RETURNING id")).scalar_one()
    entry_id = conn.execute(text(
        "INSERT INTO ledger_entries (account_id, amount_cents, kind, idempotency_key, reason, source_type, "
        "created_at, created_by_label) VALUES (:a, 500, 'adjustment', 'role-test', 'why', 'manual', now(), 'test') "
        "RETURNING id"), {"a": account_id}).scalar_one()
    return {"audit_records": audit_id, "ledger_entries": entry_id}


@pytest.mark.parametrize("table", ["audit_records", "ledger_entries"])
@pytest.mark.parametrize("statement", [
    "UPDATE {table} SET id = id WHERE id = :id",
    "DELETE FROM {table} WHERE id = :id",
    "TRUNCATE {table} CASCADE",
    "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "DROP TRIGGER {table}_no_update_delete ON {table}",
])
def test_the_application_role_cannot_rewrite_history(postgres_schema, table, statement):
    base, schema = postgres_schema
    engine = create_engine(as_application_role(base, schema))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar_one() == APP_ROLE
        ids = _seed_history(conn)
        conn.commit()
        with pytest.raises(DBAPIError, match="permission denied|must be owner"):
            conn.execute(text(statement.format(table=table)), {"id": ids[table]})
        conn.rollback()
        assert conn.execute(text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": ids[table]}).scalar_one() == 1
    engine.dispose()


def test_the_application_role_owns_nothing_and_upgrading_again_changes_nothing(postgres_schema):
    base, schema = postgres_schema
    migrate(_schema_url(base, schema))  # a second `db upgrade`: the role exists already
    owner = create_engine(base)
    with owner.connect() as conn:
        owned = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = :s AND tableowner = :r"),
                             {"s": schema, "r": APP_ROLE}).scalar_one()
        tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = :s"), {"s": schema}).scalar_one()
        writable = conn.execute(text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = :s AND has_table_privilege(:r, "
            "quote_ident(schemaname) || '.' || quote_ident(tablename), 'INSERT')"), {"s": schema, "r": APP_ROLE}
        ).scalar_one()
    owner.dispose()
    assert owned == 0
    assert tables > 20
    assert writable == tables - 1  # everything but alembic_version, which the owner alone moves


def test_the_role_name_comes_from_a_setting(postgres_schema):
    base, schema = postgres_schema
    from core.database import application_role_ddl

    statements = application_role_ddl("utility_web", schema)
    assert "CREATE ROLE utility_web LOGIN" in statements[0]
    assert all("utility_web" in s for s in statements)
    with pytest.raises(ValueError):
        application_role_ddl("x; DROP TABLE users", schema)
