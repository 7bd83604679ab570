"""The SAQ job queue: Postgres (the same database) by default, Redis when QUEUE_URL=redis://…

A `Task` is declared once, next to the service that enqueues it, with the limits SAQ needs for real
work (its defaults are a 10 s timeout, one attempt and no heartbeat); `jobs/` registers the function
under the same name.

When the queue server does not answer, an enqueue raises `QueueUnavailable` (the web answers honestly
instead of a 500), and a worker's dequeue waits out an `Outage` with backoff instead of retrying at once
(SAQ 0.26 swallows a failed dequeue and asks again straight away: 100 % of a core while Redis is down).
A queue that does not answer when a process starts is the same outage: the process `connect`s once it
answers, and meanwhile serves (the web) or waits (a worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import psycopg
import psycopg_pool
import structlog
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from saq import Job, Queue
from saq.queue.postgres import PostgresQueue
from saq.queue.redis import RedisQueue

from portal.infra.metrics import QUEUE_DOWN, QUEUE_OUTAGES
from portal.infra.storage import Storage
from portal.settings import ConfigurationError, Settings

QUEUE_NAME = "portal"
CONNECT_TIMEOUT = 2
"""Seconds to wait for the queue's server (Redis, PostgreSQL) to accept a connection: a host that drops
packets would otherwise hold a web request, or a process's start, for ever. (libpq's least is 2.)"""
UNREACHABLE = (
    OSError,
    RedisConnectionError,
    RedisTimeoutError,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
)
"""What the queue's clients raise when its server does not answer (OSError covers refused connections
and timeouts)."""

log = structlog.get_logger("portal.queue")


class QueueUnavailable(Exception):
    """The queue's server did not answer: nothing was enqueued."""


class Outage:
    """Whether the queue answers, as a worker sees it: the outage is logged once when it starts and once
    when it ends, and in between every caller waits a growing delay (up to `max_delay`, with jitter) before
    trying again. Metrics show it: `portal_queue_down` and `portal_queue_outages_total`."""

    def __init__(self, first_delay: float = 0.25, max_delay: float = 5.0) -> None:
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.count = 0
        """Outages since the process started."""
        self._since: float | None = None
        self._failures = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException) -> float:
        """Note a failed call; return the seconds to wait before the next one."""
        if self._since is None:
            self._since = time.monotonic()
            self.count += 1
            QUEUE_OUTAGES.inc()
            QUEUE_DOWN.set(1)
            log.warning("queue.unreachable", error=type(error).__name__, detail=str(error)[:200])
        self._failures += 1
        ceiling = min(self.max_delay, self.first_delay * 2 ** min(self._failures - 1, 16))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311  # jitter, not a secret

    def answered(self) -> None:
        if self._since is not None:
            log.warning("queue.reachable_again", down_seconds=round(time.monotonic() - self._since, 1))
            QUEUE_DOWN.set(0)
            self._since = None
            self._failures = 0


class _WaitsOutOutages:
    """A worker's queue: a dequeue that fails waits out the outage and then reports no job."""

    outage: Outage

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109  # SAQ's signature
        try:
            job: Job | None = await super().dequeue(timeout, poll_interval)  # type: ignore[misc]
        except UNREACHABLE as error:
            await asyncio.sleep(self.outage.failed(error))
            return None
        self.outage.answered()
        return job


class AskingPostgresQueue(PostgresQueue):
    """SAQ's Postgres queue, whose `connect` asks the server with one connection of its own first. SAQ's
    opens its pool, then waits there for a connection to create its tables: from a server that is down,
    30 s and a PoolTimeout, after which the open pool keeps trying by itself with a backoff that grows to
    minutes. Asked first, a server that is down fails the connect at once (within CONNECT_TIMEOUT), and
    one that answers gets its pool and SAQ's tables at once."""

    async def connect(self) -> None:
        if not self._connected:
            url = cast(str, self.pool.conninfo)  # made by `from_url`: the pool's conninfo is the URL
            probe = await psycopg.AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT)
            await probe.close()
        await super().connect()


class WorkerRedisQueue(_WaitsOutOutages, RedisQueue):
    pass


class WorkerPostgresQueue(_WaitsOutOutages, AskingPostgresQueue):
    pass


def make_queue(settings: Settings, *, max_connections: int = 4, outage: Outage | None = None) -> Queue:
    """Each PostgresQueue keeps its own pool plus a LISTEN connection: keep it small in web processes.
    A worker passes its `outage`, which its dequeues then wait out."""
    url = settings.queue.url or settings.database.url
    if url is None:
        raise ConfigurationError("DATABASE_URL is not set: start through `portal run` or set it")
    watched: WorkerRedisQueue | WorkerPostgresQueue
    if url.startswith("redis"):
        redis = aioredis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT)
        if outage is None:
            return RedisQueue(redis, name=QUEUE_NAME)
        watched = WorkerRedisQueue(redis, name=QUEUE_NAME)
    else:
        if outage is None:
            return AskingPostgresQueue.from_url(url, name=QUEUE_NAME, min_size=1, max_size=max_connections)
        watched = cast(
            WorkerPostgresQueue,
            WorkerPostgresQueue.from_url(url, name=QUEUE_NAME, min_size=1, max_size=max_connections),
        )
    watched.outage = outage
    return watched


async def connect(queue: Queue, outage: Outage) -> None:
    """Connect the queue once its server answers, waiting out an outage with `outage`'s backoff (said
    once when it starts and once when it ends) instead of failing. A Redis queue connects without its
    server; a Postgres queue once its database answers, SAQ's tables made then. Until then the queue's
    calls raise as in any outage (UNREACHABLE): pages answer that it is unavailable, /readyz 503."""
    while True:
        try:
            await queue.connect()
        except UNREACHABLE as error:
            await asyncio.sleep(outage.failed(error))
        else:
            outage.answered()
            return


@contextlib.asynccontextmanager
async def connecting(queue: Queue, *, within: float = CONNECT_TIMEOUT) -> AsyncIterator[None]:
    """A server process's queue (the web's, the exporter's): `connect` in the background. The block starts
    once the queue is connected (at once, when it answers) or `within` seconds into an outage, which the
    process then serves through; the queue is disconnected when the block ends."""
    task = asyncio.create_task(connect(queue, Outage()))
    # Only the wait may time out: what a queue that answers refuses (rights, SAQ's schema) stops the start.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), within)
    try:
        yield
    finally:
        await _cancelled(task)
        await disconnect(queue)


async def disconnect(queue: Queue) -> None:
    """Close the queue's connections; a queue that went away (or never answered) must not turn a finished
    command or a shutdown into a traceback: what was meant for it waits in the database for the sweeps."""
    try:
        await queue.disconnect()
    except Exception as exc:  # whatever the driver raises while closing
        log.warning("queue.disconnect_failed", error=type(exc).__name__)


@dataclass(frozen=True)
class Task:
    name: str
    timeout: int
    """Seconds one attempt may run before SAQ aborts it."""
    retries: int
    """Attempts in all (SAQ counts the first one: 1 means no retry)."""
    retry_delay: float
    retry_backoff: bool | float
    heartbeat: int
    """Seconds without a progress update after which a job counts as stuck and is swept."""

    async def enqueue(self, queue: Queue, *, key: str, **kwargs: Any) -> Job | None:
        """Enqueue under a deterministic key: while a job with that key is queued or running, asking
        again adds nothing (SAQ returns None). Raises QueueUnavailable when the queue does not answer."""
        try:
            return await queue.enqueue(
                self.name,
                key=key,
                timeout=self.timeout,
                retries=self.retries,
                retry_delay=self.retry_delay,
                retry_backoff=self.retry_backoff,
                heartbeat=self.heartbeat,
                **kwargs,
            )
        except UNREACHABLE as error:
            raise QueueUnavailable(self.name) from error


def render_task(name: str) -> Task:
    """A job that renders one stored PDF (a bill, a bills-due document, a receipt): a few seconds of work,
    retried with backoff, swept when its worker dies."""
    return Task(name=name, timeout=120, retries=3, retry_delay=2.0, retry_backoff=True, heartbeat=60)


@contextlib.asynccontextmanager
async def beating(job: Job | None, every: float) -> AsyncIterator[None]:
    """Keep a job's heartbeat alive while the block runs (also while it waits, e.g. for a render slot):
    a job whose worker dies stops beating and is swept within its heartbeat."""
    if job is None:
        yield
        return

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(*UNREACHABLE):  # the next beat may get through
                await job.update()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        await _cancelled(task)


async def _cancelled(task: asyncio.Task[None]) -> None:
    """Cancel a background task and wait for it to end (what it failed with, other than that, is raised)."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def file_or_job(
    storage: Storage, file_key: str, task: Task, queue: Queue, *, key: str, **kwargs: Any
) -> bool:
    """Whether a generated file is stored; if not, make sure one job (by its key) is making it."""
    if await storage.exists(file_key):
        return True
    await task.enqueue(queue, key=key, **kwargs)
    return False
