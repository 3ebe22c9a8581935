"""Commands for documents: parse files (no database needed) and re-encrypt stored files."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

documents_cli = AppGroup("documents", help="Income documents: parsing and encrypted storage.")


def parser_pool(size: int | None = None):
    from documents import isolation

    config = current_app.config
    return isolation.pool(size, time_limit=config["PARSE_TIME_LIMIT"],
                          memory_limit=config["PARSE_MEMORY_MB"] * 1024 * 1024)


@documents_cli.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def parse(files: tuple[str, ...]) -> None:
    """Read transcripts; one line of JSON per file, in the order given. Touches no database."""
    limit = current_app.config["MAX_UPLOAD_PAGES"]
    max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024  # per file, as for an upload
    pool = parser_pool(min(len(files), current_app.config.get("PARSE_WORKERS") or 0) or None)

    def one(name: str) -> dict:
        from documents.parser import rejected

        path = Path(name)
        try:
            if path.stat().st_size > max_bytes:
                answer = rejected("too_large", f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
            else:
                answer = pool.parse(path.read_bytes(), path.name, limit)
        except OSError as exc:
            answer = rejected("unreadable", f"The file cannot be read: {exc.strerror or exc}.")
        return {"file": name, **answer}

    with ThreadPoolExecutor(max_workers=pool.size) as threads:
        for line in threads.map(one, files):
            click.echo(json.dumps(line, ensure_ascii=False))


@documents_cli.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every stored file under the first key in DOCUMENT_KEY ("new,old"); safe to re-run."""
    from core.audit import Actor, acting_as
    from core.unit_of_work import unit_of_work
    from documents import service

    acting_as(Actor(label="cli: documents rotate-key"))
    with unit_of_work() as session:
        report = service.rotate_keys(session)
    click.echo(json.dumps({"rewritten": report.rewritten, "already_current": report.current,
                           "missing": report.missing}))


@documents_cli.command("reconcile")
def reconcile() -> None:
    """Re-queue documents left unread (a lost worker, Redis down at upload); the workers do it every minute."""
    from core.audit import Actor, acting_as
    from core.unit_of_work import unit_of_work
    from documents import service

    acting_as(Actor(label="cli: documents reconcile"))
    with unit_of_work() as session:
        count = service.reconcile(session)
    click.echo(json.dumps({"requeued": count}))
