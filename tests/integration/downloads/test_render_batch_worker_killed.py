"""A worker killed with SIGKILL while it renders a batch of a download's missing PDFs: the batch is swept
and rendered by another worker within its short heartbeat, not left "active" until its 300 s timeout
(which held up the zip waiting for it). Real worker processes (`portal worker`)."""

from __future__ import annotations

import signal
from typing import Any

from saq.job import Status

from portal.bills import pdf as bill_pdf
from portal.db.tables import Bill
from portal.downloads.archive import RENDER_PDFS, render_key
from portal.infra.storage import Storage
from portal.settings import Settings
from tests.conftest import wait_until
from tests.processes import Portal

BATCH = 20
"""Bills in the batch: enough that the worker is still rendering when it is killed."""


async def test_a_killed_workers_render_batch_is_rendered_by_another_soon(
    db: None, demo: None, queue: Any, settings: Settings, portal: Portal
) -> None:
    storage = Storage(settings.storage)
    bills = await Bill.select(Bill.id, Bill.number).order_by(Bill.id).limit(BATCH)
    key = render_key(bills[0]["id"], "en")
    await RENDER_PDFS.enqueue(queue, key=key, bill_ids=[bill["id"] for bill in bills], language="en")

    async def stored() -> int:
        return sum([await storage.exists(bill_pdf.key(bill["number"], "en")) for bill in bills])

    first = portal.start("worker-1", "worker")

    async def under_way() -> bool:
        assert first.poll() is None, portal.log("worker-1")
        return await stored() > 0

    await wait_until(under_way, within=120)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    job = await queue.job(key)
    assert job.status == Status.ACTIVE and await stored() < BATCH  # left half done, by a worker that is gone

    portal.start("worker-2", "worker")

    async def all_stored() -> bool:
        return await stored() == BATCH

    # Well within the batch's 300 s timeout, which is when it was swept before it had a heartbeat.
    await wait_until(all_stored, within=90)

    async def complete() -> bool:
        job = await queue.job(key)
        return job is not None and job.status == Status.COMPLETE

    await wait_until(complete)
    assert (await queue.job(key)).attempts == 2
