"""While the job queue does not answer: Confirm of a massive download still saves the request and says it
will be prepared as soon as possible (then the sweep queues it, once the queue is back); a PDF not yet
rendered, and its status poll, answer 503 with "Try again" and Retry-After, never a 500. A Redis of the
test's own is the queue; a real `portal worker` prepares the request afterwards. A Postgres queue that is
not up yet when the web starts is the same outage: the web serves, and the PDFs are prepared once it is."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from portal.db.tables import DownloadRequest
from portal.settings import Settings
from tests.conftest import running, submit, wait_until
from tests.integration.bills.test_bill_files import ana_bill
from tests.integration.downloads.download_steps import request_until_check
from tests.processes import LaterDatabase, Portal, PrivateRedis
from tests.steps import sign_in


async def _pdf_says_try_again(client: httpx.AsyncClient, bill: dict[str, Any]) -> None:
    for path in (f"/bills/{bill['id']}/pdf", f"/bills/{bill['id']}/pdf/status"):
        answer = await client.get(path)
        assert answer.status_code == 503, path
        assert answer.headers["retry-after"] == "30"
        assert answer.headers["cache-control"] == "no-store"
        assert f'<a href="/bills/{bill["id"]}/pdf' in answer.text and "Try again</a>" in answer.text


async def test_a_queue_outage_saves_the_request_and_answers_503_for_pdfs(
    db: None, demo: None, settings: Settings, private_redis: PrivateRedis, portal: Portal, mailbox: Any
) -> None:
    from portal.app import create_app

    on_redis = dataclasses.replace(settings, queue=dataclasses.replace(settings.queue, url=private_redis.url))
    bill = await ana_bill()
    async with running(create_app(on_redis)) as client:
        await sign_in(client)
        request_id = await request_until_check(client)
        private_redis.stop()

        confirmed = await submit(client, f"/downloads/{request_id}/confirm")
        assert confirmed.status_code == 303
        page = await client.get(confirmed.headers["location"])
        assert page.status_code == 200
        assert "We will prepare it as soon as we can" in page.text
        row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
        assert row["state"] == "queued"

        await _pdf_says_try_again(client, bill)
        # The page's own poll (htmx) gets a few lines for its place in the page, not a whole page.
        poll = await client.get(
            f"/bills/{bill['id']}/pdf/status",
            headers={"HX-Request": "true", "HX-Current-URL": f"http://127.0.0.1:8000/bills/{bill['id']}/pdf"},
        )
        assert poll.status_code == 503 and poll.headers["retry-after"] == "30"
        assert "<html" not in poll.text
        assert f'<a href="/bills/{bill["id"]}/pdf" data-hx-boost="false">Try again</a>' in poll.text
        # "Try again" never leads off the site, whatever htmx's header says (a browser reads "/\\x" as "//x").
        for elsewhere in ("//evil.example/", "/\\evil.example/"):
            poll = await client.get(
                f"/bills/{bill['id']}/pdf/status",
                headers={"HX-Request": "true", "HX-Current-URL": f"http://127.0.0.1:8000{elsewhere}"},
            )
            assert poll.status_code == 503 and "evil" not in poll.text and "Try again</a>" not in poll.text

        # The queue is back: a worker's sweep queues the saved request, which is prepared and mailed.
        private_redis.start()
        portal.start("worker", "worker", QUEUE_URL=private_redis.url)
        [message] = await mailbox.wait_for(1, within=90)
        assert "ready" in message["Subject"]
        row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
        assert row["state"] == "ready"


async def test_a_postgres_queue_not_up_when_the_web_starts_answers_503_for_pdfs_until_it_is(
    db: None, demo: None, settings: Settings, later_database: LaterDatabase
) -> None:
    from portal.app import create_app

    later = dataclasses.replace(settings, queue=dataclasses.replace(settings.queue, url=later_database.url))
    bill = await ana_bill()
    async with running(create_app(later)) as client:
        await sign_in(client)
        await _pdf_says_try_again(client, bill)

        await later_database.create()

        async def being_prepared() -> bool:
            return (await client.get(f"/bills/{bill['id']}/pdf")).status_code == 200

        await wait_until(being_prepared, within=30)
