"""A migrated database of its own for a benchmark: SQLite in a temporary file, or a PostgreSQL schema."""
from __future__ import annotations

import os
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextmanager
def bench_app(keep: bool = False, config: dict | None = None):
    """Yields (app, engine name, folder); DATABASE_URL=postgresql+psycopg://... selects PostgreSQL.

    `config` adds settings to the app (e.g. rate limits off for a benchmark that repeats a form).
    """
    from sqlalchemy import create_engine, text

    folder = Path(tempfile.mkdtemp(prefix="assist-bench-"))
    os.environ.setdefault("ASSIST_INSTANCE_PATH", str(folder / "instance"))
    base = os.environ.get("DATABASE_URL", "")
    schema = None
    if base.startswith("postgres"):
        from core.config import _normalize_database_url

        base = _normalize_database_url(base)
        schema = f"assist_bench_{uuid.uuid4().hex[:8]}"
        engine = create_engine(base)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{folder / 'bench.db'}"

    from alembic import command

    from app import create_app
    from core.cli import alembic_config
    from core.database import db

    app = create_app({"DATABASE_URL": url, "ASSIST_ENV": "development", **(config or {})})
    command.upgrade(alembic_config(app), "head")
    try:
        yield app, ("postgresql" if schema else "sqlite"), folder
    finally:
        db.engine(app).dispose()
        if schema and not keep:
            engine = create_engine(base)
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
