"""One `portal import` run: stream the file through the importer in batches, record the run, issue.

Exit status (the contract): 0 when every line was accepted, 1 when any was rejected, 2 when the file
cannot be read (from some line on: the lines before it are imported and issued, and the run says where
it stopped). A dry run goes through exactly the same steps inside one transaction that is rolled
back, so it rejects what a real run would and writes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import asyncpg

from portal import clock
from portal.db import engine as db_engine
from portal.imports import issuing
from portal.imports.reader import Line, ReadError, Source
from portal.imports.writer import BATCH, Checked, Counts, Importer, Rejection
from portal.settings import Settings


@dataclass(frozen=True)
class Outcome:
    counts: Counts
    run_id: int | None
    issued: issuing.Issued | None
    read_error: ReadError | None = None

    @property
    def exit_status(self) -> int:
        if self.read_error is not None:
            return 2
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
        batch, read_error = _next_batch(lines)
        checked = importer.check(batch)
        while batch:
            more = read_error is None and len(batch) == BATCH
            # The next batch is read and checked in a thread while this one is written: the checks are
            # Python's work and the writing mostly the database's, so the two overlap. Its rejections
            # are reported when it is written, so the report keeps the file's order.
            writing = asyncio.create_task(importer.write(checked))
            try:
                if more:
                    batch, read_error, checked = await asyncio.to_thread(_next_checked, lines, importer)
                else:
                    batch = []
            finally:
                await writing
            options.on_progress(source.bytes_read)
        if dry_run is not None:
            await dry_run.rollback()
            return Outcome(importer.counts, None, None, read_error)
        assert run_id is not None
        await _finish_run(connection, run_id, source.sha256.hexdigest(), importer.counts, read_error)
        if not options.issue:
            await connection.execute(
                "UPDATE import_run SET issued_at = $2 WHERE id = $1", run_id, clock.now()
            )
            return Outcome(importer.counts, run_id, None, read_error)
        issued = await _issue(connection, run_id, settings, options)
        return Outcome(importer.counts, run_id, issued, read_error)
    finally:
        await connection.close()


def _next_checked(lines: Iterator[Line], importer: Importer) -> tuple[list[Line], ReadError | None, Checked]:
    batch, read_error = _next_batch(lines)
    return batch, read_error, importer.check(batch)


def _next_batch(lines: Iterator[Line]) -> tuple[list[Line], ReadError | None]:
    """Up to BATCH lines; with the error that stopped the reading, if it did (the lines before it count)."""
    batch: list[Line] = []
    try:
        for line in lines:
            batch.append(line)
            if len(batch) == BATCH:
                break
    except ReadError as exc:
        return batch, exc
    return batch, None


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
                "UPDATE import_run SET issued_at = $2, rendered = $3 WHERE id = $1",
                run["id"],
                clock.now(),
                options.render,
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


async def _finish_run(
    connection: asyncpg.Connection, run_id: int, sha256: str, counts: Counts, read_error: ReadError | None
) -> None:
    await connection.execute(
        "UPDATE import_run SET finished_at = $2, sha256 = $3, counts = $4, rejected = $5, read_error = $6"
        " WHERE id = $1",
        run_id,
        clock.now(),
        sha256,
        json.dumps(counts.__dict__),
        counts.rejected,
        f"line {read_error.line}: {read_error.reason}" if read_error else "",
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
    """A run of `portal import --history`: who, when, which file and what came of it (the summary line),
    then whether its bills were issued, and where reading stopped if it did."""
    when = run["started_at"].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if run["finished_at"] is None:
        result = "did not finish"
    else:
        counts = Counts(**run["counts"])
        result = counts.summary()
    lines = [
        f"#{run['id']}  {when}  by {run['run_by']}  {run['file_name']}  sha256 {run['sha256'][:16]}  {result}"
    ]
    issued_at = run["issued_at"] and run["issued_at"].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not issued_at:
        lines.append("    not issued yet: the next import issues its bills (PDFs and emails)")
    elif run["rendered"]:
        lines.append(f"    issued {issued_at}: PDFs queued for the workers to render, new bill emails queued")
    else:
        lines.append(f"    issued {issued_at} without rendering (--no-render): PDFs made on first request")
    if run["read_error"]:
        lines.append(f"    reading stopped at {run['read_error']}; the lines before it were imported")
    return "\n".join(lines)
