"""A queue that goes away, or does not answer yet when the processes start (a Postgres queue then stopped
them after 30 s with a traceback). A worker waits out the outage with backoff (no busy loop: SAQ alone asks
again at once, 100 % of a core, and logs a traceback every second), says so once when it starts and once
when it ends, and then works as before; `portal serve` and `portal metrics` serve meanwhile, /readyz at
503. Real processes: `portal worker`, `serve` and `metrics`, a Redis server of the test's own, a queue
database that the test creates when it chooses."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import psutil

from conftest import free_port
from portal.infra.queue import make_queue
from portal.notifications.outbox import queue_email
from portal.settings import Settings
from portal.templating import make_environment
from tests.conftest import wait_until
from tests.processes import LaterDatabase, Portal, PrivateRedis

QUEUE_DEPTH = 'portal_queue_jobs{state="queued"}'
"""The exporter's sample of the queue's depth, there when it could read the queue."""
OUTAGE = 10.0
"""Seconds the queue stays away: long enough for a busy loop to show (it burns a core), and for the
backoff to reach its ceiling."""


def _events(text: str) -> list[str]:
    return [json.loads(line).get("event", "") for line in text.splitlines() if line.startswith("{")]


async def _logged(portal: Portal, event: str) -> bool:
    return event in _events(portal.log("worker"))


async def _start_worker(portal: Portal, queue_url: str) -> subprocess.Popen[bytes]:
    worker = portal.start("worker", "worker", QUEUE_URL=queue_url)

    async def started() -> bool:
        assert worker.poll() is None, portal.log("worker")
        return "Worker starting" in portal.log("worker")

    await wait_until(started, within=60)
    return worker


async def _waits_idly_through_the_outage(portal: Portal, worker: subprocess.Popen[bytes]) -> None:
    async def unreachable() -> bool:
        assert worker.poll() is None, portal.log("worker")
        return await _logged(portal, "queue.unreachable")

    await wait_until(unreachable)
    process = psutil.Process(worker.pid)
    before = process.cpu_times()
    await asyncio.sleep(OUTAGE)  # the outage itself: what the worker does meanwhile is what is measured
    after = process.cpu_times()
    busy = (after.user - before.user) + (after.system - before.system)
    # Waiting costs next to nothing; asking again at once costs a core (or whatever share of it the
    # machine leaves: still seconds).
    assert busy < OUTAGE / 10, f"the worker used {busy:.1f} s of CPU in a {OUTAGE:.0f} s outage"
    assert worker.poll() is None, portal.log("worker")


async def _said_once_and_works_again(
    portal: Portal, settings: Settings, queue_url: str, mailbox: Any
) -> None:
    await wait_until(lambda: _logged(portal, "queue.reachable_again"), within=30)
    events = _events(portal.log("worker"))
    assert events.count("queue.unreachable") == 1
    assert events.count("queue.reachable_again") == 1
    assert not [event for event in events if "Upkeep task failed" in event]
    assert "Traceback" not in portal.log("worker")

    # And it works again: an email queued now is sent.
    queue = make_queue(
        dataclasses.replace(settings, queue=dataclasses.replace(settings.queue, url=queue_url))
    )
    await queue.connect()
    try:
        await queue_email(
            make_environment(settings),
            queue,
            dedupe_key="after-outage",
            template="test",
            to_address="someone@example.com",
            context={},
        )
    finally:
        await queue.disconnect()
    [message] = await mailbox.wait_for(1, within=30)
    assert message["To"] == "someone@example.com"


async def test_a_worker_waits_out_a_redis_outage_and_says_so_once(
    db: None, settings: Settings, portal: Portal, private_redis: PrivateRedis, mailbox: Any
) -> None:
    worker = await _start_worker(portal, private_redis.url)
    private_redis.stop()
    await _waits_idly_through_the_outage(portal, worker)
    private_redis.start()
    await _said_once_and_works_again(portal, settings, private_redis.url, mailbox)


async def test_a_worker_started_before_its_postgres_queue_waits_for_it_then_works(
    db: None, settings: Settings, later_database: LaterDatabase, portal: Portal, mailbox: Any
) -> None:
    worker = await _start_worker(portal, later_database.url)
    await _waits_idly_through_the_outage(portal, worker)
    await later_database.create()  # empty: the worker makes SAQ's tables as it connects
    await _said_once_and_works_again(portal, settings, later_database.url, mailbox)


async def test_a_worker_stopped_during_an_outage_stops_cleanly(
    db: None, portal: Portal, private_redis: PrivateRedis
) -> None:
    worker = await _start_worker(portal, private_redis.url)
    private_redis.stop()
    await wait_until(lambda: _logged(portal, "queue.unreachable"))
    worker.send_signal(signal.SIGTERM)  # what a supervisor does to roll or stop it
    assert await asyncio.to_thread(worker.wait, 30) == 0, portal.log("worker")
    assert "Traceback" not in portal.log("worker")
    assert "queue.disconnect_failed" in _events(portal.log("worker"))


async def test_a_worker_stopped_while_it_waits_for_its_postgres_queue_stops_cleanly(
    db: None, later_database: LaterDatabase, portal: Portal
) -> None:
    worker = await _start_worker(portal, later_database.url)
    await wait_until(lambda: _logged(portal, "queue.unreachable"))
    worker.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait, 30) == 0, portal.log("worker")
    assert "Traceback" not in portal.log("worker")


async def test_serve_and_metrics_started_before_their_postgres_queue_are_ready_once_it_answers(
    db: None, later_database: LaterDatabase, portal: Portal, tmp_path: Path
) -> None:
    web, exporter = free_port(), free_port()
    serve = portal.start("serve", "serve", QUEUE_URL=later_database.url, PORT=str(web))
    metrics = portal.start(
        "metrics",
        "metrics",
        QUEUE_URL=later_database.url,
        METRICS_PORT=str(exporter),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    readyz, scrape = f"http://127.0.0.1:{web}/readyz", f"http://127.0.0.1:{exporter}/metrics"
    async with httpx.AsyncClient(timeout=10) as http:

        async def answer(url: str) -> httpx.Response | None:
            assert serve.poll() is None, portal.log("serve")
            assert metrics.poll() is None, portal.log("metrics")
            try:
                return await http.get(url)
            except httpx.TransportError:  # not listening yet
                return None

        not_ready = await wait_until(lambda: answer(readyz), within=60)
        assert not_ready.status_code == 503
        assert not_ready.text == "database: ok\nqueue: unavailable\nstorage: ok\n"
        # The exporter serves what it can read: the outbox, not the queue's depth.
        without_queue = await wait_until(lambda: answer(scrape), within=60)
        assert without_queue.status_code == 200
        assert "portal_outbox_backlog" in without_queue.text
        assert QUEUE_DEPTH not in without_queue.text

        await later_database.create()

        async def ready() -> bool:
            response = await answer(readyz)
            return response is not None and response.status_code == 200

        async def queue_depth_read() -> bool:
            response = await answer(scrape)
            return response is not None and QUEUE_DEPTH in response.text

        await wait_until(ready, within=30)
        await wait_until(queue_depth_read, within=30)
    for name in ("serve", "metrics"):
        events = _events(portal.log(name))
        assert events.count("queue.unreachable") == 1, portal.log(name)
        assert events.count("queue.reachable_again") == 1, portal.log(name)
        assert "Traceback" not in portal.log(name)
