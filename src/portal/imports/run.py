"""One `portal import` run: stream the file through the importer in batches, record the run, issue.

Exit status (the contract): 0 when every line was accepted, 1 when any was rejected, 2 when the file
cannot be read. A dry run goes through exactly the same steps inside one transaction that is rolled
back, so it rejects what a real run would and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import asyncpg

from portal import clock
from portal.db import engine as db_engine
from portal.imports import issuing
from portal.imports.reader import Source
from portal.imports.writer import BATCH, Counts, Importer, Rejection
from portal.settings import Settings


@dataclass(frozen=True)
class Outcome:
    counts: Counts
    run_id: int | None
    issued: issuing.Issued | None

    @property
    def exit_status(self) -> int:
        return 1 if self.counts.rejected else 0


@dataclass
class Options:
    file_name: str
    by: str
    dry_run: bool = False
    render: bool = True
    issue: bool = True
    """False: the run counts as issued without render jobs or emails (`portal demo`, whose users come
    afterwards and whose PDFs are rendered on first request)."""
    on_reject: Callable[[Rejection], None] = lambda rejection: None
    on_warning: Callable[[int, str], None] = lambda line, text: None
    on_progress: Callable[[int], None] = lambda bytes_read: None


async def run_import(stream: BinaryIO, settings: Settings, options: Options) -> Outcome:
    source = Source(stream)
    connection: asyncpg.Connection = await db_engine().get_new_connection()
    try:
        run_id = None if options.dry_run else await _start_run(connection, options)
        importer = Importer(connection, settings.issuer, run_id, options.on_reject, options.on_warning)
        dry_run = connection.transaction() if options.dry_run else None
        if dry_run is not None:
            await dry_run.start()
        lines = source.lines()
        while batch := list(itertools.islice(lines, BATCH)):
            await importer.batch(batch)
            options.on_progress(source.bytes_read)
        if dry_run is not None:
            await dry_run.rollback()
            return Outcome(importer.counts, None, None)
        assert run_id is not None
        await _finish_run(connection, run_id, source.sha256.hexdigest(), importer.counts)
        if not options.issue:
            await connection.execute(
                "UPDATE import_run SET issued_at = $2 WHERE id = $1", run_id, clock.now()
            )
            return Outcome(importer.counts, run_id, None)
        return Outcome(importer.counts, run_id, await _issue(connection, run_id, settings, options))
    finally:
        await connection.close()


async def _issue(
    connection: asyncpg.Connection, run_id: int, settings: Settings, options: Options
) -> issuing.Issued:
    """Issue this run's new bills, and those of any earlier run that committed bills but was never
    issued (it crashed, or the queue was down): re-running the file then issues what was left."""
    from portal.infra.queue import make_queue
    from portal.templating import make_environment

    queue = make_queue(settings, max_connections=2)
    await queue.connect()
    try:
        issued = issuing.Issued(0, 0)
        for run in await connection.fetch(
            "SELECT id FROM import_run WHERE issued_at IS NULL AND id <= $1 ORDER BY id", run_id
        ):
            done = await issuing.issue(
                connection, run["id"], queue, make_environment(settings), render=options.render
            )
            await connection.execute(
                "UPDATE import_run SET issued_at = $2 WHERE id = $1", run["id"], clock.now()
            )
            issued = issuing.Issued(issued.render_jobs + done.render_jobs, issued.emails + done.emails)
        return issued
    finally:
        await queue.disconnect()


async def _start_run(connection: asyncpg.Connection, options: Options) -> int:
    run_id: int = await connection.fetchval(
        "INSERT INTO import_run (run_by, file_name, sha256, started_at, counts, rejected)"
        " VALUES ($1, $2, '', $3, '{}', 0) RETURNING id",
        options.by[:100],
        options.file_name,
        clock.now(),
    )
    return run_id


async def _finish_run(connection: asyncpg.Connection, run_id: int, sha256: str, counts: Counts) -> None:
    await connection.execute(
        "UPDATE import_run SET finished_at = $2, sha256 = $3, counts = $4, rejected = $5 WHERE id = $1",
        run_id,
        clock.now(),
        sha256,
        json.dumps(counts.__dict__),
        counts.rejected,
    )


async def history(limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    from portal.db.tables import ImportRun

    rows: list[dict[str, Any]] = await ImportRun.select().order_by(ImportRun.id, ascending=False).limit(limit)
    for row in rows:
        if isinstance(row["counts"], str):
            row["counts"] = json.loads(row["counts"])
    return rows


def describe(run: dict[str, Any]) -> str:
    """One line of `portal import --history`."""
    when = run["started_at"].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if run["finished_at"] is None:
        result = "did not finish"
    else:
        counts = Counts(**run["counts"])
        result = counts.summary()
    return (
        f"#{run['id']}  {when}  by {run['run_by']}  {run['file_name']}  sha256 {run['sha256'][:16]}  {result}"
    )
