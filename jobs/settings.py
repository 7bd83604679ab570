"""The worker: which tasks it runs, with what context, and how it starts and stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from saq import CronJob, Queue, Worker
from saq.types import PartialTimersDict

from jobs.bills import bill_pdf
from jobs.downloads import build_download, render_download_pdfs, sweep_downloads
from jobs.housekeeping import purge_expired
from jobs.mail import send_email, sweep_outbox
from jobs.payment_documents import document_pdf
from jobs.payments import purge_payment_drafts, receipt_pdf
from portal.bills import pdf as bills
from portal.db import start_pool
from portal.downloads.archive import RENDER_PDFS, ZIP_TASK_NAME
from portal.infra.mail import make_transport
from portal.infra.metrics import job_finished, job_started
from portal.infra.queue import UNREACHABLE, Outage, connect, disconnect, make_queue
from portal.infra.storage import Storage
from portal.notifications.outbox import SEND_EMAIL
from portal.payment_documents import pdf as bills_due
from portal.payments import pdf as receipts
from portal.settings import Settings
from portal.templating import make_environment

# saq declares these keys required although Worker takes any subset.
UPKEEP_TIMERS: PartialTimersDict = {"sweep": 5, "worker_info": 5}  # type: ignore[typeddict-item]
FUNCTIONS: list[tuple[str, Callable[..., Awaitable[Any]]]] = [
    (SEND_EMAIL.name, send_email),
    (bills.TASK.name, bill_pdf),
    (bills_due.TASK.name, document_pdf),
    (ZIP_TASK_NAME, build_download),
    (RENDER_PDFS.name, render_download_pdfs),
    (receipts.TASK.name, receipt_pdf),
]
CRON_JOBS = [
    CronJob(sweep_outbox, cron="* * * * *", timeout=60),  # type: ignore[type-var]
    CronJob(purge_expired, cron="17 * * * *", timeout=300),  # type: ignore[type-var]
    # Every 15 s (croniter's sixth field is seconds): a request saved while the queue was down is queued
    # within a minute of its return.
    CronJob(sweep_downloads, cron="* * * * * */15", timeout=120),  # type: ignore[type-var]
    CronJob(purge_payment_drafts, cron="23 * * * *", timeout=120),  # type: ignore[type-var]
]


log = logging.getLogger("saq")


class PortalWorker(Worker):
    """SAQ's worker, but it connects its queue as it starts, waiting out an outage of it, and its upkeep
    loops (schedule, sweep, abort, worker info) wait out an outage of the queue with the dequeues'
    backoff, rather than log a traceback every second."""

    def __init__(
        self, queue: Queue, *, outage: Outage, startup: Callable[[Any], Awaitable[None]], **kwargs: Any
    ) -> None:
        super().__init__(queue, startup=[self.connect_queue, startup], **kwargs)
        self.outage = outage
        """Whether the queue answers, and how many outages so far: for metrics."""

    async def connect_queue(self, ctx: dict[str, Any]) -> None:
        """`connect`, before the loops start: a Postgres queue makes its tables as it connects, and a loop
        that got in first would find none (a traceback). A stop meanwhile (SIGTERM, SIGINT: SAQ's handlers
        set `event`) ends the wait, and the worker stops as it would once running."""
        connecting = asyncio.create_task(connect(self.queue, self.outage))
        stopping = asyncio.create_task(self.event.wait())
        await asyncio.wait([connecting, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connecting  # raises what a queue that answers refused (rights, SAQ's schema)

    async def upkeep(self) -> list[asyncio.Task[None]]:
        async def poll(
            func: Callable[[int], Coroutine[Any, Any, Any]], sleep: int, arg: int | None = None
        ) -> None:
            while not self.event.is_set():
                try:
                    await func(arg or sleep)
                except UNREACHABLE as error:
                    await asyncio.sleep(max(sleep, self.outage.failed(error)))
                    continue
                except Exception:
                    if self.event.is_set():
                        return
                    log.exception("Upkeep task failed unexpectedly")
                await asyncio.sleep(sleep)

        timers = self.timers
        return [
            asyncio.create_task(poll(self.abort, timers["abort"])),
            asyncio.create_task(poll(self.schedule, timers["schedule"])),
            asyncio.create_task(poll(self.queue.sweep, timers["sweep"])),
            asyncio.create_task(poll(self.worker_info, timers["worker_info"], timers["worker_info"] + 1)),
        ]


def make_worker(
    settings: Settings,
    queue: Queue,
    *,
    timers: PartialTimersDict = UPKEEP_TIMERS,
    dequeue_timeout: float = 1,
) -> PortalWorker:
    """The worker, on a queue from `make_queue(…, outage=…)`. A stop waits for the upkeep loops' naps
    (`timers`) and the dequeue wait to end: the test suite, which stops a worker after each test that uses
    one, passes shorter ones."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["queue"] = queue
        ctx["mail_transport"] = make_transport(settings)
        ctx["storage"] = Storage(settings.storage)
        ctx["templates"] = make_environment(settings)

    return PortalWorker(
        queue,
        outage=queue.outage,  # type: ignore[attr-defined]
        functions=FUNCTIONS,
        cron_jobs=CRON_JOBS,
        concurrency=settings.queue.concurrency,
        startup=startup,
        before_process=[job_started],
        after_process=[job_finished],
        # NOTES-stack: a PostgresQueue worker on 3.11 may hang on SIGTERM unless it polls often.
        dequeue_timeout=dequeue_timeout,
        # Shutdown waits for every task, the upkeep loops included, so their naps bound an idle stop.
        timers=timers,
        shutdown_grace_period_s=10,
        # Each job records the worker that runs it (`Job.worker_id`): the host and process id name it.
        id=f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
    )


async def run_worker(settings: Settings) -> None:
    """The worker process: a database pool sized for its concurrency, then work until SIGINT/SIGTERM."""
    engine = await start_pool(max_size=settings.queue.concurrency + 1)
    queue = make_queue(settings, max_connections=settings.queue.concurrency + 2, outage=Outage())
    try:
        await make_worker(settings, queue).start()
    finally:
        await disconnect(queue)
        await engine.close_connection_pool()
