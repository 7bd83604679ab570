"""One `portal import` run: stream the file through the importer in batches, record the run, issue.

Exit status (the contract): 0 when every line was accepted, 1 when any was rejected, 2 when the file
cannot be read (from some line on: the lines before it are imported and issued, and the run says where
it stopped). A dry run goes through exactly the same steps inside one transaction that is rolled
back, so it rejects what a real run would and writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import asyncpg

from portal import clock
from portal.db import engine as db_engine
from portal.imports import issuing
from portal.imports.reader import Line, ReadError, Source
from portal.imports.writer import BATCH, Checked, Counts, Importer, Rejection
from portal.infra.command_arguments import OPERATOR_LENGTH, one_line
from portal.infra.queue import UNREACHABLE, QueueUnavailable, disconnect, make_queue
from portal.settings import Settings


@dataclass(frozen=True)
class Outcome:
    counts: Counts
    run_id: int | None
    issued: issuing.Issued | None
    read_error: ReadError | None = None
    not_issued: bool = False
    """The committed bills could not be issued (the queue did not answer): the next run issues them."""

    @property
    def exit_status(self) -> int:
        if self.read_error is not None or self.not_issued:
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
        ahead = _Ahead(source.lines(), importer)
        try:
            with _tuned_for_bulk():
                while True:
                    batch, read_error, checked = await ahead.next()
                    await importer.write(checked)
                    options.on_progress(source.bytes_read)
                    if read_error is not None or len(batch) < BATCH:
                        break
        finally:
            await ahead.close()
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
        try:
            issued = await _issue(connection, run_id, settings, options)
        except (QueueUnavailable, *UNREACHABLE):
            return Outcome(importer.counts, run_id, None, read_error, not_issued=True)
        return Outcome(importer.counts, run_id, issued, read_error)
    finally:
        await connection.close()


AHEAD = 2
"""Batches read and checked ahead of the one being written (memory: a few batches of lines)."""
_Batch = tuple[list[Line], ReadError | None, Checked]


class _Ahead:
    """The file's batches, read and checked in a thread up to AHEAD batches ahead of the one being
    written: the checks are Python's work and the writing mostly the database's (its lookups, the COPY),
    so the two overlap, and the thread does not wait for a batch to be written before it checks the
    next. The batches come in file order, so rejections are still reported in file order (when their
    batch is written). The last batch is the one that is short or that stopped the reading."""

    def __init__(self, lines: Iterator[Line], importer: Importer) -> None:
        self._queue: asyncio.Queue[_Batch | Exception] = asyncio.Queue(maxsize=AHEAD)
        self._stop = False
        self._task = asyncio.create_task(self._read(lines, importer))

    async def _read(self, lines: Iterator[Line], importer: Importer) -> None:
        try:
            while not self._stop:
                batch, read_error, checked = await asyncio.to_thread(_next_checked, lines, importer)
                await self._queue.put((batch, read_error, checked))
                if read_error is not None or len(batch) < BATCH:
                    return
        except Exception as exc:  # the writing side raises it
            await self._queue.put(exc)

    async def next(self) -> _Batch:
        item = await self._queue.get()
        if isinstance(item, Exception):
            raise item
        return item

    async def close(self) -> None:
        """Stop after the batch being read, if any, and wait for it: the file is not read after this.
        (Emptied, the queue has room for that batch, so the reading cannot wait for the writing.)"""
        self._stop = True
        while not self._queue.empty():
            self._queue.get_nowait()
        await self._task


@contextlib.contextmanager
def _tuned_for_bulk() -> Iterator[None]:
    """The interpreter set for a million rows while imports run; as it was once the last one ends (two
    may run at once in one process: the first sets, the last restores).

    - The GIL handed over within 0.5 ms rather than 5: while a batch is checked in the thread, the event
      loop waits for the GIL each time the database answers or the COPY can take more rows, and that
      wait is the database's idle time, several times a batch.
    - The cyclic garbage collector run less often (after 100,000 new objects rather than 700) and
      without going through the modules loaded so far (`gc.freeze`): each batch's lines, records and
      rows live until the batch is written, so the default collections went through them again and
      again (a quarter of the import's Python time). Reference counting still frees them as it goes,
      and nothing the import makes is kept: memory does not grow with the file."""
    if not _before:
        _before.append((sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count()))
        sys.setswitchinterval(0.0005)
        if not _before[0][2]:  # a process that froze what it loaded (the web app) is left as it is
            gc.freeze()
        gc.set_threshold(100_000, *_before[0][1][1:])
    _running.append(1)
    try:
        yield
    finally:
        _running.pop()
        if not _running:
            switch, thresholds, frozen = _before.pop()
            gc.set_threshold(*thresholds)
            if not frozen:
                gc.unfreeze()
            sys.setswitchinterval(switch)


_before: list[tuple[float, tuple[int, int, int], int]] = []
"""The interpreter's settings before the imports running now, if any."""
_running: list[int] = []
"""One item for each import running now."""


def _next_checked(lines: Iterator[Line], importer: Importer) -> _Batch:
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
    from portal.templating import make_environment

    queue = make_queue(settings, max_connections=2)
    await queue.connect()
    try:
        issued = issuing.Issued(0, 0)
        for run in await connection.fetch(
            "SELECT id FROM import_run WHERE issued_at IS NULL AND id <= $1 ORDER BY id", run_id
        ):
            other = run["id"] != run_id
            # Another run's lock is free only once its process is gone (it crashed, or the queue was
            # down): one still importing issues its own bills when they are all in; issued here, its
            # later batches' bills would have had no PDFs and no email.
            if other and not await connection.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", _RUN_LOCK, run["id"]
            ):
                continue
            try:
                if other and await connection.fetchval(
                    "SELECT issued_at IS NOT NULL FROM import_run WHERE id = $1", run["id"]
                ):
                    continue  # it issued itself before it ended
                done = await issuing.issue(
                    connection, run["id"], queue, make_environment(settings), render=options.render
                )
                await connection.execute(
                    "UPDATE import_run SET issued_at = $2, rendered = $3 WHERE id = $1",
                    run["id"],
                    clock.now(),
                    options.render,
                )
            finally:
                if other:
                    await connection.execute("SELECT pg_advisory_unlock($1, $2)", _RUN_LOCK, run["id"])
            issued = issuing.Issued(issued.render_jobs + done.render_jobs, issued.emails + done.emails)
        return issued
    finally:
        await disconnect(queue)


_RUN_LOCK = 0x696D706F  # "impo": with the run's id, the (two-key) advisory lock a run holds while it runs


async def _start_run(connection: asyncpg.Connection, options: Options) -> int:
    """The run's row, and its lock held by this connection until it closes (a session lock outlives the
    transaction; taken in it, no other run sees the row unlocked)."""
    async with connection.transaction():
        run_id: int = await connection.fetchval(
            "INSERT INTO import_run (run_by, file_name, sha256, started_at, counts, rejected)"
            " VALUES ($1, $2, '', $3, '{}', 0) RETURNING id",
            options.by[:OPERATOR_LENGTH],  # `--by` is refused longer; a system user's name is cut
            options.file_name,
            clock.now(),
        )
        await connection.execute("SELECT pg_advisory_lock($1, $2)", _RUN_LOCK, run_id)
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
    # A file's name may hold a line break (and a run recorded before `--by` was checked, its `--by`).
    by, file_name = one_line(run["run_by"]), one_line(run["file_name"])
    lines = [f"#{run['id']}  {when}  by {by}  {file_name}  sha256 {run['sha256'][:16]}  {result}"]
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
