"""Alembic environment: the app's database URL, every model's metadata, batch mode on SQLite."""
from __future__ import annotations

from alembic import context

from app import import_all_models
from core.database import make_engine

config = context.config
target_metadata = import_all_models()


def _render_item(type_, obj, autogen_context):
    if type_ == "type" and obj.__class__.__name__ == "UTCDateTime":
        autogen_context.imports.add("import core.database")
        return "core.database.UTCDateTime()"
    return False


def _grant_application_role(connection) -> None:
    """After an upgrade, the application role gets the same grants on every table, new ones too."""
    from alembic.script import ScriptDirectory

    from core.database import DEFAULT_APPLICATION_ROLE, grant_application_role

    if connection.dialect.name != "postgresql":
        return
    current = context.get_context().get_current_revision()
    script = ScriptDirectory.from_config(config)
    # Only once the migration that introduces the role has run.
    if current is None or "0011" not in {rev.revision for rev in script.iterate_revisions(current, "base")}:
        return
    app = config.attributes.get("app")
    grant_application_role(connection, app.config["DATABASE_APP_ROLE"] if app else DEFAULT_APPLICATION_ROLE)


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_item=_render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            _grant_application_role(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            _grant_application_role(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
