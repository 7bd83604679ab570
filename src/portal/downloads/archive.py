"""The zip of a download request, built by a job: one PDF per bill (the stored ones; missing ones are
rendered by the same function as "View online bill" uses, spread over every worker by render jobs of a
few bills each) and an index of the bills as CSV and JSON.

Memory stays flat whatever the number of bills: the zip is made as it is uploaded, a streamed multipart
upload to storage (`Storage.write_stream`) that appears whole only once it is complete. Each PDF is read
from storage and goes into the zip as it is (stored, as PDFs do not compress), and the index is written
into it page by page, so only one PDF and an upload part or two are in memory at once. Progress (bills
done of total) goes to the request row and to the SAQ job, whose heartbeat it keeps alive. Running twice
is harmless: a ready request is left alone, a half-made upload is never completed (a retry starts a new
one; a second upload replaces the first whole), and the "files are ready" email is stored once (outbox
dedupe key) in the same transaction that marks the request ready. A request that holds a bill of an
account its requester no longer sees is refused (failed) rather than built, and its ready zip is not given
(`queries.ACCESS_LOST`).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog
from jinja2 import Environment
from saq import Job, Queue
from saq.job import Status

from portal import clock, i18n
from portal.bills import pdf as bill_pdf
from portal.bills.exports import FIELDS, csv_heading
from portal.db import engine as db_engine
from portal.db import execute, fetch
from portal.db.tables.downloads import DownloadState
from portal.downloads import queries
from portal.downloads.exports import index_pages
from portal.infra import pdf
from portal.infra.queue import QueueUnavailable, Task
from portal.infra.storage import Storage
from portal.notifications import outbox
from portal.settings import DownloadSettings, Settings

log = structlog.get_logger("portal.downloads")

RENDER_AHEAD = 64
"""Bills whose missing PDFs are queued for the render task ahead of the bill being zipped, so that every
worker process renders while this job zips. It must be more than the worker slots hold, as each worker
dequeues as many batches as it has free slots and renders them one after another: with 16 bills, one of
two workers held the whole window while the other sat idle (7–9 core-seconds idle in a 1,000-bill run,
against ≈ 2 with 64). 64 covers up to four workers of concurrency 4 (15 slots besides this job's)."""
READ_AHEAD = RENDER_AHEAD + 32
"""Bills whose stored PDFs are being read ahead of the bill being zipped (≈ 3 MB). With S3 a read is a
round trip: one after another, 1,000 of them took longer than the rest of a warm zip. They also tell
which PDFs are missing, some way behind the reads' start, so that queuing the renders rarely waits."""
RENDER_BATCH = 4
"""Consecutive missing PDFs per render job. A job costs SAQ's Postgres queue about ten statements and
their notifications; one per bill cost the workers and the database ≈ 10 % more than the renders (a
cold 1,000-bill download took 1.13–1.18 × the ideal on the Postgres queue, 1.03 × on Redis). Small
enough that a worker's batches come out in order and that the last one leaves little tail."""
RENDER_PDFS = Task(
    name="render_download_pdfs", timeout=300, retries=3, retry_delay=2.0, retry_backoff=True, heartbeat=10
)
"""Renders a batch of missing PDFs for a download (`portal.bills.pdf.render`, as for "View online bill").
Its heartbeat is kept alive while it runs (`RENDER_BEAT`), so that the batch of a worker that died is
swept and queued again within about 15 s (its heartbeat and a sweep), not after its 300 s timeout; and
the zip job waiting for it renders those bills itself as soon as it is stuck."""
RENDER_BEAT = 3.0
"""Seconds between a render batch's heartbeats: a few per heartbeat, as a busy machine may delay one."""
REPORT_EVERY = 0.5
"""Seconds between progress reports (the request row and the SAQ heartbeat)."""


ZIP_TASK_NAME = "build_download"
ACCESS_LOST_ERROR = "Refused: the requester no longer sees some of its bills' accounts"
"""The failed request's error, for operators; the pages say it from `Download.access_lost`."""


def zip_task(settings: DownloadSettings) -> Task:
    """The job that builds a request's zip. Its heartbeat is kept alive by the progress reports, so a
    worker that dies is noticed within one heartbeat and the job is retried (with backoff) elsewhere."""
    return Task(
        name=ZIP_TASK_NAME,
        timeout=settings.timeout_seconds,
        retries=4,
        retry_delay=2.0,
        retry_backoff=60,
        heartbeat=settings.heartbeat_seconds,
    )


def job_key(request_id: int) -> str:
    return f"download:{request_id}"


def zip_key(request_id: int) -> str:
    return f"downloads/{request_id}.zip"


async def enqueue_zip(queue: Queue, settings: DownloadSettings, request_id: int) -> bool:
    """One job per request (its key): asking again while it is queued or running adds nothing. False when
    the queue does not answer: the request stays queued, and the sweep queues its job once it answers."""
    try:
        await zip_task(settings).enqueue(queue, key=job_key(request_id), request_id=request_id)
    except QueueUnavailable:
        log.warning("download.enqueue_postponed", request_id=request_id)
        return False
    return True


async def mark_failed(request_id: int, error: str) -> None:
    await execute(
        "UPDATE download_request SET state = 'failed', error = {}, updated_at = {}"
        " WHERE id = {} AND state IN ('queued', 'preparing')",
        error[:500],
        clock.now(),
        request_id,
    )
    log.warning("download.failed", request_id=request_id, error=error[:200])


def render_key(first_bill_id: int, language: str) -> str:
    """The key of the render job whose batch starts with this bill, in this language."""
    return f"download-pdf:{first_bill_id}:{language}"


async def enqueue_render_batch(queue: Queue, bill_ids: list[int], language: str) -> str:
    """One render job for these bills (at most RENDER_BATCH) in `language`, keyed by its first bill and the
    language: the massive download and the import queue their batches alike, so that each finds the other's
    jobs. Returns the job's key."""
    key = render_key(bill_ids[0], language)
    await RENDER_PDFS.enqueue(queue, key=key, bill_ids=bill_ids, language=language)
    return key


async def render_pdfs(bill_ids: list[int], settings: Settings, storage: Storage, language: str) -> str:
    """A batch in one hold of this process's render slot, so that the bills come out in the order the zip
    needs them (batches taking turns would each finish late)."""
    async with pdf.render_slot():
        results = [await bill_pdf.render(bill_id, settings.issuer, storage, language) for bill_id in bill_ids]
    return f"{results.count('rendered')} of {len(bill_ids)} rendered"


class Progress:
    """Reports "done of total" at most every REPORT_EVERY seconds; each report is also a heartbeat."""

    def __init__(self, request_id: int, total: int, job: Job | None) -> None:
        self.request_id = request_id
        self.total = total
        self.job = job
        self.done = 0
        self._last = 0.0

    async def report(self, done: int | None = None, *, force: bool = False) -> None:
        if done is not None:
            self.done = done
        now = time.monotonic()
        if not force and now - self._last < REPORT_EVERY:
            return
        self._last = now
        await execute(
            "UPDATE download_request SET done = {}, updated_at = {} WHERE id = {}",
            self.done,
            clock.now(),
            self.request_id,
        )
        if self.job is not None:
            await self.job.update(progress=self.done / self.total if self.total else 1.0)


@dataclass(frozen=True)
class Claimed:
    id: int
    bill_count: int
    file_name: str
    language: str
    """The requester's: the zip's PDFs and index are in it."""
    access_lost: bool
    """The requester no longer sees some of its bills (`queries.ACCESS_LOST`)."""


async def _claim(request_id: int) -> Claimed | None:
    """Mark the request as being prepared (again: a retry starts from zero), unless it is finished."""
    async with db_engine().transaction():
        rows = await fetch(
            "SELECT r.id, r.state, r.bill_count, r.file_name, u.language,"  # noqa: S608
            f" {queries.ACCESS_LOST} AS access_lost FROM download_request r"
            ' JOIN portal_user u ON u.id = r."user" WHERE r.id = {} FOR UPDATE OF r',
            request_id,
        )
        if not rows or rows[0]["state"] not in {DownloadState.queued, DownloadState.preparing}:
            return None
        await execute(
            "UPDATE download_request SET state = 'preparing', done = 0, error = '', attempts = attempts + 1,"
            " updated_at = {} WHERE id = {}",
            clock.now(),
            request_id,
        )
        row = rows[0]
    return Claimed(
        row["id"],
        row["bill_count"],
        row["file_name"],
        i18n.supported(row["language"]) or i18n.default_language(),
        row["access_lost"],
    )


async def _bill_numbers(request_id: int) -> list[tuple[int, str]]:
    rows = await fetch(
        "SELECT b.id, b.number FROM download_request_bill m JOIN bill b ON b.id = m.bill"
        " WHERE m.request = {} ORDER BY b.number",
        request_id,
    )
    return [(row["id"], row["number"]) for row in rows]


class _ReadAhead:
    """Reads of the bills' stored PDFs, started ahead of need; each gives the PDF, or None if it was not
    stored when read."""

    def __init__(self, storage: Storage, bills: list[tuple[int, str]], language: str) -> None:
        self.storage = storage
        self.bills = bills
        self.language = language
        self.reads: dict[int, asyncio.Task[bytes | None]] = {}
        self.started_upto = 0

    def start(self, upto: int) -> None:
        for position in range(self.started_upto, min(upto, len(self.bills))):
            key = bill_pdf.key(self.bills[position][1], self.language)
            self.reads[position] = asyncio.create_task(self.storage.read(key))
        self.started_upto = max(self.started_upto, upto)

    async def stored(self, start: int, end: int) -> list[bool]:
        return [
            data is not None for data in await asyncio.gather(*map(self.reads.__getitem__, range(start, end)))
        ]

    async def take(self, position: int) -> bytes | None:
        return await self.reads.pop(position)

    def cancel(self) -> None:
        for read in self.reads.values():
            read.cancel()


async def _stored_pdf(
    bill_id: int,
    number: str,
    read_ahead: bytes | None,
    job_key: str | None,
    language: str,
    settings: Settings,
    storage: Storage,
    queue: Queue,
    progress: Progress,
) -> tuple[bytes, bool]:
    """The stored PDF of a bill (`read_ahead`, or read again if it was missing then). If it is missing:
    wait while its render job (`job_key`) is running (up to one heartbeat), otherwise render it here.
    Returns the PDF, and whether it was rendered here."""
    key = bill_pdf.key(number, language)
    deadline = time.monotonic() + settings.downloads.heartbeat_seconds
    next_look = 0.0
    rendered = None
    data = read_ahead if read_ahead is not None else await storage.read(key)
    while data is None:
        if rendered is not None:
            raise RuntimeError(f"The PDF of bill {number} is not stored ({rendered})")
        now = time.monotonic()
        if now >= next_look:  # the job's state costs a query: look once a second, the file is cheaper
            job = await queue.job(job_key) if job_key else None
            rendering = job is not None and job.status == Status.ACTIVE and not job.stuck
            if not rendering or now > deadline:
                rendered = await bill_pdf.render(bill_id, settings.issuer, storage, language)
                data = await storage.read(key)
                continue
            next_look = now + 1.0
        await progress.report()  # keeps the heartbeat while waiting
        await asyncio.sleep(0.05)
        data = await storage.read(key)
    return data, rendered == "rendered"


async def _queue_renders(
    bills: list[tuple[int, str]], start: int, reads: _ReadAhead, queue: Queue, job_keys: dict[int, str]
) -> int:
    """Queues the missing PDFs among the next RENDER_BATCH bills from `start` as one render job, and notes
    its key for each of them in `job_keys`. Returns where the next batch starts."""
    end = min(start + RENDER_BATCH, len(bills))
    stored = await reads.stored(start, end)
    missing = [bill_id for (bill_id, _), found in zip(bills[start:end], stored, strict=True) if not found]
    if missing:
        job_keys.update(dict.fromkeys(missing, await enqueue_render_batch(queue, missing, reads.language)))
    return end


class _Sink:
    """Where zipfile writes: the bytes since the last `take`. It cannot seek, so zipfile puts each entry's
    sizes after its data (a data descriptor) and never goes back."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


async def _index(archive: zipfile.ZipFile, sink: _Sink, request_id: int) -> AsyncIterator[bytes]:
    """index.csv, then index.json, each written into the zip a page at a time."""
    info = zipfile.ZipInfo("index.csv", date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        writer = csv.DictWriter(text, fieldnames=FIELDS)
        writer.writerow(csv_heading())
        async for page in index_pages(request_id):
            writer.writerows(bill.csv_record() for bill in page)
            text.flush()
            yield sink.take()
        text.flush()
        text.detach()
    info = zipfile.ZipInfo("index.json", date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w") as handle:
        handle.write(b'{"currency": "EUR", "bills": [')
        first = True
        async for page in index_pages(request_id):
            for bill in page:
                record = json.dumps(bill.record(), ensure_ascii=False).encode()
                handle.write((b"\n  " if first else b",\n  ") + record)
                first = False
            yield sink.take()
        handle.write(b"\n]}\n")
    yield sink.take()


@dataclass
class _Zipping:
    """One attempt at a request's zip: its bills, and what it has done so far."""

    request_id: int
    bills: list[tuple[int, str]]
    language: str
    progress: Progress
    rendered_here: int = 0

    async def chunks(self, settings: Settings, storage: Storage, queue: Queue) -> AsyncIterator[bytes]:
        """The zip's bytes as they are made: each bill's PDF, then the index, then the zip's directory."""
        sink = _Sink()
        queued_upto = 0
        job_keys: dict[int, str] = {}
        reads = _ReadAhead(storage, self.bills, self.language)
        try:
            with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
                for position, (bill_id, number) in enumerate(self.bills):
                    reads.start(position + READ_AHEAD)
                    # Queue the render of missing PDFs a little ahead, for the other workers.
                    while queued_upto < min(position + RENDER_AHEAD, len(self.bills)):
                        queued_upto = await _queue_renders(self.bills, queued_upto, reads, queue, job_keys)
                    data, rendered_here = await _stored_pdf(
                        bill_id,
                        number,
                        await reads.take(position),
                        job_keys.pop(bill_id, None),
                        self.language,
                        settings,
                        storage,
                        queue,
                        self.progress,
                    )
                    self.rendered_here += rendered_here
                    archive.writestr(f"{number}.pdf", data)
                    yield sink.take()
                    await self.progress.report(position + 1)
                async for chunk in _index(archive, sink, self.request_id):
                    yield chunk
            yield sink.take()
        finally:
            reads.cancel()  # an attempt that failed leaves no read running


async def build(
    request_id: int,
    settings: Settings,
    storage: Storage,
    queue: Queue,
    env: Environment,
    job: Job | None = None,
) -> str:
    claimed = await _claim(request_id)
    if claimed is None:
        return "nothing to do"
    if claimed.access_lost:
        # Refused whole rather than built without those bills: what was confirmed (its count and total)
        # is either given as it was or not at all, as for a ready zip (`ready_file`); the pages say why.
        await mark_failed(request_id, ACCESS_LOST_ERROR)
        return "refused: access lost"
    bills = await _bill_numbers(request_id)
    progress = Progress(request_id, len(bills), job)
    await progress.report(0, force=True)
    started = time.monotonic()
    zipping = _Zipping(request_id, bills, claimed.language, progress)
    with i18n.speaking(claimed.language):  # the index's headings and statuses
        size = await storage.write_stream(zip_key(request_id), zipping.chunks(settings, storage, queue))
    await progress.report(len(bills), force=True)
    await _finish(request_id, size, settings, env, queue)
    log.info(
        "download.ready",
        request_id=request_id,
        bills=len(bills),
        rendered_here=zipping.rendered_here,
        size=size,
        seconds=round(time.monotonic() - started, 2),
    )
    return "ready"


async def _finish(request_id: int, size: int, settings: Settings, env: Environment, queue: Queue) -> None:
    """Ready, and the email stored in the same transaction (once: its dedupe key); sent after the commit."""
    email_id = None
    now = clock.now()
    async with db_engine().transaction():
        rows = await fetch(
            "UPDATE download_request r SET state = 'ready', size_bytes = {}, file_key = {},"
            " done = bill_count, ready_at = {}, expires_at = {}, updated_at = {}"
            " FROM portal_user u WHERE r.id = {} AND r.state = 'preparing' AND u.id = r.\"user\""
            " RETURNING r.file_name, r.bill_count, r.expires_at, u.email, u.username, u.language",
            size,
            zip_key(request_id),
            now,
            now + dt.timedelta(days=settings.downloads.retention_days),
            now,
            request_id,
        )
        if rows:
            row = rows[0]
            email_id = await outbox.store_email_to_user(
                env,
                row,
                dedupe_key=f"download-ready:{request_id}",
                template="download_ready",
                context={
                    "file_name": row["file_name"],
                    "bill_count": row["bill_count"],
                    "expires_at": row["expires_at"],  # its day in the customers' time zone (`day`)
                    "link": f"{settings.web.base_url}/downloads/requested",
                },
            )
    if email_id is not None:
        await outbox.enqueue_email(queue, email_id)


async def run_job(
    request_id: int, settings: Settings, storage: Storage, queue: Queue, env: Environment, job: Job | None
) -> str:
    """The task body: build, and on the last attempt's failure say so on the request ("Try again")."""
    try:
        return await build(request_id, settings, storage, queue, env, job)
    except Exception as exc:
        if job is None or job.attempts >= job.retries:
            await mark_failed(request_id, f"{type(exc).__name__}: {exc}")
        raise
