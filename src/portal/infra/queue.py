"""The SAQ job queue: Postgres (the same database) by default, Redis when QUEUE_URL=redis://…

A `Task` is declared once, next to the service that enqueues it, with the limits SAQ needs for real
work (its defaults are a 10 s timeout, one attempt and no heartbeat); `jobs/` registers the function
under the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from saq import Job, Queue
from saq.queue.postgres import PostgresQueue

from portal.infra.storage import Storage
from portal.settings import ConfigurationError, Settings

QUEUE_NAME = "portal"


def make_queue(settings: Settings, *, max_connections: int = 4) -> Queue:
    """Each PostgresQueue keeps its own pool plus a LISTEN connection: keep it small in web processes."""
    url = settings.queue.url or settings.database.url
    if url is None:
        raise ConfigurationError("DATABASE_URL is not set: start through `portal run` or set it")
    if url.startswith("redis"):
        return Queue.from_url(url, name=QUEUE_NAME)
    return PostgresQueue.from_url(url, name=QUEUE_NAME, min_size=1, max_size=max_connections)


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
        again adds nothing (SAQ returns None)."""
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


def render_task(name: str) -> Task:
    """A job that renders one stored PDF (a bill, a bills-due document, a receipt): a few seconds of work,
    retried with backoff, swept when its worker dies."""
    return Task(name=name, timeout=120, retries=3, retry_delay=2.0, retry_backoff=True, heartbeat=60)


async def file_or_job(
    storage: Storage, file_key: str, task: Task, queue: Queue, *, key: str, **kwargs: Any
) -> bool:
    """Whether a generated file is stored; if not, make sure one job (by its key) is making it."""
    if storage.exists(file_key):
        return True
    await task.enqueue(queue, key=key, **kwargs)
    return False
