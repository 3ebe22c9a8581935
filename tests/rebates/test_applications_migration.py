"""Migration 0025: the rebate applications' tables and denial reasons come and go, on both engines."""
from __future__ import annotations

from sqlalchemy import text

TABLES = {"rebate_applications", "rebate_items", "rebate_documents"}


def test_the_rebate_applications_migration_goes_down_and_up(fresh_owner_database_url):
    from alembic import command

    from app import create_app
    from core.cli import alembic_config
    from core.database import db
    from tests.conftest import test_config

    app = create_app(test_config(fresh_owner_database_url))
    cfg = alembic_config(app)
    engine = db.engine(app)
    with engine.connect() as conn:
        assert TABLES <= set(engine.dialect.get_table_names(conn))
        assert conn.execute(text("SELECT count(*) FROM denial_reasons WHERE kind = 'rebate'")).scalar() == 6

    command.downgrade(cfg, "0024")
    with engine.connect() as conn:
        assert not TABLES & set(engine.dialect.get_table_names(conn))
        assert conn.execute(text("SELECT count(*) FROM denial_reasons WHERE kind = 'rebate'")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM denial_reasons WHERE kind = 'assistance'")).scalar() > 0

    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert TABLES <= set(engine.dialect.get_table_names(conn))
        assert conn.execute(text("SELECT count(*) FROM denial_reasons WHERE kind = 'rebate'")).scalar() == 6
    engine.dispose()
