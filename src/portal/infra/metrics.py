"""Prometheus metrics that every process records (`infra.exporter` serves them).

Web processes count requests (by route and status, with latency histograms), workers count jobs (by task
and outcome, with duration histograms), and every process counts storage errors. Several processes share
the figures through prometheus-client's multiprocess mode: each writes its own files under
`PROMETHEUS_MULTIPROC_DIR` (which must be set before the process starts), and the exporter, a process of
its own on `METRICS_PORT` (off by default, on loopback by default), adds them up at each scrape. The queue
depth and the outbox backlog are read from the queue and the database at each scrape, so they are true
even when no worker runs.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar

from prometheus_client import Counter, Gauge, Histogram
from saq.job import Status

REQUESTS = Counter(
    "portal_http_requests",
    "HTTP requests answered, by method, route and status",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UNMATCHED_ROUTE = "(unmatched)"
"""The route of a request no route matched (a 404 or 405 from the router): never its path, which anyone
can vary without end."""

JOBS = Counter("portal_jobs", "Jobs processed, by task and outcome", ["task", "outcome"])
JOB_SECONDS = Histogram(
    "portal_job_duration_seconds",
    "Time a job ran, by task",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
QUEUE_OUTAGES = Counter(
    "portal_queue_outages",
    "Times a worker lost the queue, or a process waited for it at start (counted when it starts)",
)
QUEUE_DOWN = Gauge(
    "portal_queue_down",
    "1 while a worker cannot reach the queue, or a process still waits for it since its start",
    # Across processes: 1 when any process of the machine has lost it.
    multiprocess_mode="livemax",
)
STORAGE_ERRORS = Counter(
    "portal_storage_errors", "Storage operations that failed, by operation", ["operation"]
)
MISSING_FILE = "missing"
"""The `operation` of a file that storage answered for but did not have, although it should have."""


def count_missing_file() -> None:
    """A file that should be stored and is not (an operator deleted it, the bucket lost it): the operation
    that looked for it succeeded, so it is counted apart, under `MISSING_FILE`, for the same alerts."""
    STORAGE_ERRORS.labels(MISSING_FILE).inc()


F = TypeVar("F", bound=Callable[..., Any])


def counts_storage_errors(operation: str) -> Callable[[F], F]:
    """Count the failures of a storage operation (sync or async) in STORAGE_ERRORS; the error goes on."""

    def decorate(function: F) -> F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def counted_async(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await function(*args, **kwargs)
                except Exception:
                    STORAGE_ERRORS.labels(operation).inc()
                    raise

            return counted_async  # type: ignore[return-value]

        @functools.wraps(function)
        def counted(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except Exception:
                STORAGE_ERRORS.labels(operation).inc()
                raise

        return counted  # type: ignore[return-value]

    return decorate


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods counted by name; any other a client sends counts as "other"."""


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    route = route or UNMATCHED_ROUTE
    _request_counter(method, route, status).inc()
    _request_histogram(method, route).observe(seconds)


# Each request's series, found once: `labels()` checks and locks on every call. Few of them (the methods
# above, the declared routes, the statuses the portal answers), and they never change.
@functools.lru_cache(maxsize=4096)
def _request_counter(method: str, route: str, status: int) -> Any:
    return REQUESTS.labels(method, route, str(status))


@functools.lru_cache(maxsize=4096)
def _request_histogram(method: str, route: str) -> Any:
    return REQUEST_SECONDS.labels(method, route)


async def job_started(ctx: dict[str, Any]) -> None:
    """SAQ's before_process hook."""
    ctx["metrics_started"] = time.perf_counter()


async def job_finished(ctx: dict[str, Any]) -> None:
    """SAQ's after_process hook: the job's outcome is its status by now (queued again: a retry)."""
    job = ctx["job"]
    # The duration first: a scrape that counts the job then has its duration too (it read the count
    # without it once, in between the two writes).
    if "metrics_started" in ctx:
        JOB_SECONDS.labels(job.function).observe(time.perf_counter() - ctx["metrics_started"])
    JOBS.labels(job.function, "retried" if job.status == Status.QUEUED else job.status.value).inc()
