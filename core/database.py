"""The database: one declarative base, engines per app, and a session per app context.

Services receive a session and flush; the request (or CLI command, or job) commits once.
SQLite is tuned for several local writer processes: WAL, a busy timeout, foreign keys, and
`BEGIN IMMEDIATE` so a transaction takes the write lock up front instead of failing with
"database is locked" when it upgrades from a read lock.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import BigInteger, DateTime, Engine, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 30_000


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC on every engine and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware; use core.clock.now()")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# Integers (keys, counts, cents) are 64-bit on PostgreSQL and still the rowid alias on SQLite.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), int: BigIntPK}


def _app_ctx_id() -> int:
    return id(app_ctx._get_current_object())


@dataclass
class _State:
    engine: Engine
    connection: Connection | None = None  # set by tests: every session joins this transaction


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings Assist relies on for its engine."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_on_connect(dbapi_connection, _record):
            # Hand transaction control to SQLAlchemy so BEGIN IMMEDIATE and SAVEPOINT work.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """Engine and session registry bound to whichever Flask app is current."""

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(self._new_session, scopefunc=_app_ctx_id)

    def init_app(self, app: Flask) -> None:
        app.extensions["assist.db"] = _State(engine=make_engine(app.config["DATABASE_URL"]))

        @app.teardown_appcontext
        def _remove_session(_exc):
            self.session.remove()

    @staticmethod
    def state(app: Flask | None = None) -> _State:
        return (app or current_app).extensions["assist.db"]

    def engine(self, app: Flask | None = None) -> Engine:
        return self.state(app).engine

    def _new_session(self) -> Session:
        state = self.state()
        if state.connection is not None:
            return Session(bind=state.connection, join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
        return Session(bind=state.engine, expire_on_commit=False)

    def bind_to_connection(self, app: Flask, connection: Connection | None) -> None:
        """Tests: make every session of `app` run inside `connection`'s open transaction."""
        self.state(app).connection = connection

    def dispose_after_fork(self, app: Flask) -> None:
        """A forked worker must not reuse the parent's pooled connections."""
        self.state(app).engine.dispose(close=False)


db = Database()


def append_only_ddl(table: str, dialect: str) -> tuple[list[str], list[str]]:
    """SQL that makes `table` refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), and its undo.

    Used by migrations for the audit log and the credit ledger: history is enforced by the
    database, so neither a bug nor a hand-typed statement can rewrite it.
    """
    if dialect == "postgresql":
        fn = f"{table}_append_only"
        create = [
            f"""CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$""",
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {fn}()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
        ]
        drop = [f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}",
                f"DROP FUNCTION IF EXISTS {fn}()"]
        return create, drop
    create = [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
    ]
    drop = [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    return create, drop


# Tables whose rows are history: the application role may read and add to them, never change them.
APPEND_ONLY_TABLES = ("audit_records", "ledger_entries", "guideline_tables", "program_versions")
DEFAULT_APPLICATION_ROLE = "assist_app"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def valid_role_name(name: str | None) -> bool:
    return bool(name) and bool(_ROLE_NAME.match(name))


def application_role_ddl(role: str, schema: str) -> list[str]:
    """PostgreSQL statements that give the application role what it needs and nothing more.

    Migrations run as the owner of the tables; the web processes and workers connect as this
    role, which owns nothing, so it can neither switch off the append-only triggers nor UPDATE,
    DELETE or TRUNCATE history. Every statement can run again (each upgrade re-applies them, so
    tables added by later migrations are covered). Roles belong to the whole cluster: the role
    is created only when it does not exist, without a password (the operator sets one).
    """
    if not valid_role_name(role) or not valid_role_name(schema):
        raise ValueError(f"not a plain role or schema name: {role!r} / {schema!r}")
    history = ", ".join(APPEND_ONLY_TABLES)
    return [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} LOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {history} FROM {role}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",
    ]


def grant_application_role(connection: Connection, role: str) -> None:
    """Apply `application_role_ddl` to the connection's current schema (PostgreSQL only)."""
    if connection.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    for statement in application_role_ddl(role, schema):
        connection.execute(text(statement))


def lock_for_change(session: Session, table: str, row_id: int) -> None:
    """Serialize changes that hang off one row without `SELECT ... FOR UPDATE`.

    FOR UPDATE needs the UPDATE privilege, which the application role does not hold on
    append-only tables; a transaction-scoped advisory lock on (table, id) does the same job.
    SQLite already serializes writers (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:t), :k)"),
                        {"t": table, "k": row_id % 2_147_483_647})
