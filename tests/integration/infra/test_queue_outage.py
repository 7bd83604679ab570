"""A worker whose Redis goes away: it waits out the outage with backoff (no busy loop: SAQ alone asks again
at once, 100 % of a core, and logs a traceback every second), says so once when it starts and once when
it ends, and then works as before. Real processes: `portal worker`, a Redis server of the test's own."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
from typing import Any

import psutil

from portal.infra.queue import make_queue
from portal.notifications.outbox import queue_email
from portal.settings import Settings
from portal.templating import make_environment
from tests.conftest import wait_until
from tests.processes import Portal, PrivateRedis

OUTAGE = 10.0
"""Seconds Redis stays away: long enough for a busy loop to show (it burns a core), and for the backoff
to reach its ceiling."""


def _events(text: str) -> list[str]:
    return [json.loads(line).get("event", "") for line in text.splitlines() if line.startswith("{")]


async def test_a_worker_waits_out_a_redis_outage_and_says_so_once(
    db: None, settings: Settings, portal: Portal, private_redis: PrivateRedis, mailbox: Any
) -> None:
    worker = portal.start("worker", "worker", QUEUE_URL=private_redis.url)

    async def started() -> bool:
        assert worker.poll() is None, portal.log("worker")
        return "Worker starting" in portal.log("worker")

    await wait_until(started)
    private_redis.stop()
    await wait_until(lambda: _logged(portal, "queue.unreachable"))
    process = psutil.Process(worker.pid)
    before = process.cpu_times()
    await asyncio.sleep(OUTAGE)  # the outage itself: what the worker does meanwhile is what is measured
    after = process.cpu_times()
    busy = (after.user - before.user) + (after.system - before.system)
    # Waiting costs next to nothing; asking again at once costs a core (or whatever share of it the
    # machine leaves: still seconds).
    assert busy < OUTAGE / 10, f"the worker used {busy:.1f} s of CPU in a {OUTAGE:.0f} s outage"

    private_redis.start()
    await wait_until(lambda: _logged(portal, "queue.reachable_again"), within=30)
    events = _events(portal.log("worker"))
    assert events.count("queue.unreachable") == 1
    assert events.count("queue.reachable_again") == 1
    assert not [event for event in events if "Upkeep task failed" in event]

    # And it works again: an email queued now is sent.
    queue = make_queue(
        dataclasses.replace(settings, queue=dataclasses.replace(settings.queue, url=private_redis.url))
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


async def _logged(portal: Portal, event: str) -> bool:
    return event in _events(portal.log("worker"))


async def test_a_worker_stopped_during_an_outage_stops_cleanly(
    db: None, portal: Portal, private_redis: PrivateRedis
) -> None:
    worker = portal.start("worker", "worker", QUEUE_URL=private_redis.url)

    async def started() -> bool:
        assert worker.poll() is None, portal.log("worker")
        return "Worker starting" in portal.log("worker")

    await wait_until(started, within=60)
    private_redis.stop()
    await wait_until(lambda: _logged(portal, "queue.unreachable"))
    worker.send_signal(signal.SIGTERM)  # what a supervisor does to roll or stop it
    assert await asyncio.to_thread(worker.wait, 30) == 0, portal.log("worker")
    assert "Traceback" not in portal.log("worker")
    assert "queue.disconnect_failed" in _events(portal.log("worker"))
