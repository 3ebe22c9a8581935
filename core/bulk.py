"""Writing many rows at once: PostgreSQL's COPY where the engine has it, one executemany elsewhere.

Batch jobs (the daily recertification run) write hundreds of thousands of letters, history
rows and audit records. A multi-row INSERT spends most of its time building and parsing huge
statements; COPY streams the rows. The rows join the session's transaction either way.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Integer, String, func, select, text
from sqlalchemy.orm import Session


def insert_rows(session: Session, model: Any, rows: list[dict], *, return_ids: bool = False) -> list[int]:
    """Insert `rows` (dicts with the same keys) into `model`'s table; with `return_ids`, their new ids in order."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        ids = []
        if return_ids:
            # Every SQLite transaction here begins IMMEDIATE (core.database), so this one holds the
            # database's only write lock: the ids after the highest are free until it commits.
            # (RETURNING in parameter order would cost one statement per row.)
            highest = session.scalar(select(func.coalesce(func.max(model.__table__.c.id), 0)))
            ids = list(range(highest + 1, highest + 1 + len(rows)))
            rows = [{**row, "id": new_id} for row, new_id in zip(rows, ids)]
        _sqlite_executemany(session, model.__table__, rows)
        return ids
    table = model.__table__
    connection = session.connection()
    ids: list[int] = []
    if return_ids:
        ids = list(connection.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)}).scalars())
        rows = [{**row, "id": new_id} for row, new_id in zip(rows, ids)]
    names = list(rows[0])
    is_json = [isinstance(table.c[name].type, JSON) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(row[name]) if as_json and row[name] is not None else row[name]
                                for name, as_json in zip(names, is_json)])
    return ids


def _sqlite_executemany(session: Session, table, rows: list[dict], suffix: str = "") -> None:
    """One prepared INSERT run over all rows by sqlite3 itself, values stored as SQLAlchemy stores them.

    A batch is hundreds of thousands of rows sharing a few dates and timestamps, so each column
    that needs converting converts each distinct value once; plain columns pass as they are.
    """
    from datetime import date, datetime, timezone
    from operator import itemgetter

    names = list(rows[0])

    def stored(value):
        if isinstance(value, datetime):  # UTC, naive, in SQLAlchemy's SQLite format
            return value.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool):
            return int(value)
        return value

    def converter(name):
        if isinstance(table.c[name].type, JSON):
            return lambda value: None if value is None else json.dumps(value)
        seen: dict = {}

        def once(value):
            try:
                return seen[value]
            except KeyError:
                converted = seen[value] = stored(value)
                return converted
        return once

    converted = [(i, converter(name)) for i, name in enumerate(names)
                 if not isinstance(table.c[name].type, (Integer, String))]
    values = itemgetter(*names)
    if len(names) == 1:
        params = [[row[names[0]]] for row in rows]
    else:
        params = [list(values(row)) for row in rows]
    for i, convert in converted:
        for param in params:
            value = param[i]
            if value is not None:
                param[i] = convert(value)
    sql = (f'INSERT INTO "{table.name}" ({", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)}) '
           f'VALUES ({", ".join("?" for _ in names)}){suffix}')
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def among(session: Session, column: Any, ids: list[int]):
    """`column IN ids` for many ids: one array parameter on PostgreSQL instead of thousands of them."""
    ids = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import BigInteger, any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam("ids", ids, type_=ARRAY(BigInteger), unique=True))
    return column.in_(ids)


def insert_new(session: Session, model: Any, rows: list[dict], unique: list[str], returning: list[str],
               audit: Any = None) -> list:
    """Insert the rows whose unique key is not taken yet (`ON CONFLICT DO NOTHING`); the inserted rows' `returning`
    (in no particular order).

    The unique constraint decides, so two processes inserting the same key at once insert it once.
    Rows go in as `insert_rows` writes them: on PostgreSQL by COPY into a temporary table and one
    `INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`; on SQLite by one prepared
    `INSERT ... ON CONFLICT DO NOTHING` run over every row, the new rows read back by id (the
    transaction holds SQLite's only write lock, see `insert_rows`). All rows have the same keys.
    With `audit` (a `core.audit.OfNewRows`), each inserted row also gets its audit record, written
    by the same statement on PostgreSQL and by one more on SQLite.
    """
    from sqlalchemy import table as table_of, column

    if not rows:
        return []
    table = model.__table__
    session.flush()
    wanted = [table.c[name] for name in returning]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        names = list(rows[0])
        columns = ", ".join(f'"{name}"' for name in names)
        staging = f"staging_{table.name}"
        connection = session.connection()
        connection.execute(text(f'CREATE TEMPORARY TABLE "{staging}" ON COMMIT DROP AS '
                                f'SELECT {columns} FROM "{table.name}" WITH NO DATA'))
        is_json = [isinstance(table.c[name].type, JSON) for name in names]
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f'COPY "{staging}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([json.dumps(row[name]) if as_json and row[name] is not None else row[name]
                                    for name, as_json in zip(names, is_json)])
        kept = set(returning) | ({"id", audit.reason, *audit.details.values()} if audit else set())
        source = table_of(staging, *(column(name) for name in names))
        new = (insert(table).from_select(names, select(*(source.c[name] for name in names)))
               .on_conflict_do_nothing(index_elements=unique)
               .returning(*(table.c[name] for name in sorted(kept))).cte("new"))
        query = select(*(new.c[name] for name in returning))
        if audit is not None:
            query = query.add_cte(audit.insert_from(session, new).cte("audited"))
        out = [tuple(row) for row in connection.execute(query)]
        connection.execute(text(f'DROP TABLE "{staging}"'))
        return out
    conflict = ", ".join(f'"{name}"' for name in unique)
    highest = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    _sqlite_executemany(session, table, rows, suffix=f" ON CONFLICT ({conflict}) DO NOTHING")
    if audit is not None:
        session.execute(audit.insert_from(session, select(table).where(table.c.id > highest).subquery("new")))
    return [tuple(row) for row in session.execute(select(*wanted).where(table.c.id > highest).order_by(table.c.id))]
