"""`portal metrics`: the exporter that serves every process's figures to Prometheus on METRICS_PORT.

Web processes and workers write their figures under `PROMETHEUS_MULTIPROC_DIR` (prometheus-client's
multiprocess mode, `infra.metrics`); this process adds them up at each scrape. The queue depth and the
outbox backlog are read from the queue and the database at each scrape, so they are true even when no
worker runs. It is a process of its own, on its own port (loopback by default), so that /metrics is never
on the public site.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import structlog
from litestar import Litestar, MediaType, Response, get
from litestar.di import NamedDependency, Provide
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from saq import Queue

from portal import clock
from portal.db import fetch_one, start_pool
from portal.infra.queue import connecting, make_queue
from portal.settings import Settings

log = structlog.get_logger("portal.metrics")


class Backlog(Collector):
    """Figures read at scrape time: jobs queued and active, emails not yet sent and the oldest one's age."""

    def __init__(self, figures: dict[str, float]) -> None:
        self.figures = figures

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = GaugeMetricFamily("portal_queue_jobs", "Jobs in the queue, by state", labels=["state"])
        for state in ("queued", "active"):
            if state in self.figures:
                queue.add_metric([state], self.figures[state])
        yield queue
        if "outbox" in self.figures:
            yield GaugeMetricFamily(
                "portal_outbox_backlog", "Emails in the outbox not sent yet", value=self.figures["outbox"]
            )
            yield GaugeMetricFamily(
                "portal_outbox_oldest_seconds",
                "Age of the oldest email not sent yet (0: none)",
                value=self.figures["outbox_oldest"],
            )


async def _backlog(queue: Queue) -> dict[str, float]:
    """What can be read now; a part that does not answer is left out (and logged), never a failed scrape."""
    figures: dict[str, float] = {}
    try:
        figures["queued"] = await queue.count("queued")
        figures["active"] = await queue.count("active")
    except Exception as exc:
        log.warning("metrics.queue_unavailable", error=type(exc).__name__)
    try:
        row = await fetch_one(
            "SELECT count(*) AS waiting, min(created_at) AS oldest FROM outbox_email WHERE sent_at IS NULL"
        )
        assert row is not None
        figures["outbox"] = row["waiting"]
        figures["outbox_oldest"] = (clock.now() - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    except Exception as exc:
        log.warning("metrics.database_unavailable", error=type(exc).__name__)
    return figures


@get("/metrics", media_type=MediaType.TEXT, include_in_schema=False)
async def metrics(queue: NamedDependency[Queue]) -> Response[bytes]:
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(Backlog(await _backlog(queue)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def create_metrics_app(settings: Settings) -> Litestar:
    """The exporter: GET /metrics only, with a small pool of its own."""
    clock.configure(settings)
    queue = make_queue(settings, max_connections=1)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = await start_pool(max_size=1)
        try:
            async with connecting(queue):  # a queue that does not answer yet is left out of the scrapes
                yield
        finally:
            await engine.close_connection_pool()

    return Litestar(
        route_handlers=[metrics],
        dependencies={"queue": Provide(lambda: queue, sync_to_thread=False)},
        lifespan=[lifespan],
        openapi_config=None,
        logging_config=None,
    )
