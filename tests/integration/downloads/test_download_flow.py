"""The whole journey: "Massive bills download" → "Request download" → mark bills → "Continue" → check
("Download list" as Excel, "Confirm") → confirmation → the worker builds the zip → one email →
"Downloads requested" offers the zip."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

from openpyxl import load_workbook

from portal.db.tables import DownloadRequest, OutboxEmail
from portal.infra.storage import Storage
from tests.conftest import stored_keys, submit
from tests.integration.downloads.download_steps import (
    ANA_ACCOUNTS,
    bills_in_period,
    plain_body,
    shown_bill_ids,
    start,
    text_of,
    wait_until_finished,
)
from tests.steps import ANA_IDENTITY, error_messages, sign_in

EXPORT_HEADER = "bill_number,account,holder,period_start,period_end,issue_date,due_date,amount_eur,status"
"""The columns of every export of bills (bills.csv, the Excel list, the zip's index)."""


async def test_request_confirm_zip_email_and_download(
    client: Any, demo: None, worker: Any, mailbox: Any, settings: Any
) -> None:
    await sign_in(client)
    hub = await client.get("/account/transactions")
    assert 'href="/downloads"' in hub.text and "Massive bills download" in hub.text
    assert "Downloads requested" in hub.text
    landing = await client.get("/downloads")
    assert landing.status_code == 200 and "Request download" in landing.text

    form = await client.get("/downloads/new")
    assert form.status_code == 200
    # Each field's hint names what it lists (one word, "Yours", served both and read oddly in Spanish).
    assert f"Your accounts’ holders: {ANA_IDENTITY} (" in form.text
    assert f"Your accounts: {', '.join(ANA_ACCOUNTS)}<" in form.text
    response = await start(client, name="Facturas año 2026", period="last_12", selector=ANA_IDENTITY.lower())
    assert response.status_code == 303, error_messages(response.text)
    request_id = int(response.headers["location"].split("/")[2])

    bills_page = await client.get(f"/downloads/{request_id}/bills")
    assert bills_page.status_code == 200
    ids = shown_bill_ids(bills_page.text)
    expected = await bills_in_period()  # 12 months of Ana's 2 accounts: 22 or 24, by the day of the month
    assert len(ids) == expected
    assert "0 bills marked" in text_of(bills_page.text)

    # One by one: tick two boxes and save through a page button (no JavaScript).
    response = await submit(
        client, f"/downloads/{request_id}/bills", {"shown": ids, "bill": ids[:2], "action": "page:1"}
    )
    assert response.status_code == 303
    assert "2 bills marked" in text_of((await client.get(f"/downloads/{request_id}/bills")).text)
    # With JavaScript each box posts the page's boxes and gets the count and total back.
    marks = await submit(client, f"/downloads/{request_id}/bills/marks", {"shown": ids, "bill": ids[:3]})
    assert marks.status_code == 200 and "3 bills marked" in text_of(marks.text)
    # "Select all shown", then "Clear", then "Select all shown" again.
    await submit(client, f"/downloads/{request_id}/bills", {"shown": ids, "action": "select_shown"})
    assert f"{expected} bills marked" in text_of((await client.get(f"/downloads/{request_id}/bills")).text)
    await submit(client, f"/downloads/{request_id}/bills", {"shown": ids, "action": "clear"})
    empty = await submit(client, f"/downloads/{request_id}/bills", {"action": "continue"})
    assert empty.status_code == 422
    assert error_messages(empty.text) == ["Mark at least one bill to download"]
    await submit(client, f"/downloads/{request_id}/bills", {"shown": ids, "action": "select_shown"})
    response = await submit(
        client, f"/downloads/{request_id}/bills", {"shown": ids, "bill": ids, "action": "continue"}
    )
    assert response.headers["location"] == f"/downloads/{request_id}/check"

    check = await client.get(f"/downloads/{request_id}/check")
    text = text_of(check.text)
    assert "Facturas año 2026.zip" in text and f"{expected} bills" in text
    assert text.count("Change") >= 4
    assert f"/downloads/{request_id}/list.xlsx" in check.text

    excel = await client.get(f"/downloads/{request_id}/list.xlsx")
    assert excel.status_code == 200
    assert excel.headers["cache-control"] == "no-store"
    assert "filename*=utf-8''Facturas%20a%C3%B1o%202026.xlsx" in excel.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(excel.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Bill number", "Account", "Holder")
    assert len(rows) == 1 + expected
    first = rows[1]
    assert isinstance(first[3], dt.datetime) and isinstance(first[6], dt.datetime)  # real dates
    assert sheet.cell(row=2, column=4).number_format == "d mmm yyyy"  # "5 Dec 2026": read one way only
    assert isinstance(first[7], float | int) and first[7] > 0  # a number, not text
    assert sheet.cell(row=2, column=8).number_format.endswith('"€"')

    confirmed = await submit(client, f"/downloads/{request_id}/confirm")
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/downloads/{request_id}/requested"
    again = await submit(client, f"/downloads/{request_id}/confirm")  # a second submit changes nothing
    assert again.headers["location"] == f"/downloads/{request_id}/requested"
    confirmation = text_of((await client.get(f"/downloads/{request_id}/requested")).text)
    assert "You will receive an email" in confirmation and "check the spam folder" in confirmation

    requested = await client.get("/downloads/requested")
    assert "Downloads requested" in requested.text
    finished = await wait_until_finished(client)
    assert "Ready" in finished.text and f"/downloads/{request_id}/file" in finished.text

    response = await client.get(f"/downloads/{request_id}/file")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    assert "Facturas%20a%C3%B1o%202026.zip" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    pdfs = [name for name in names if name.endswith(".pdf")]
    assert len(pdfs) == expected and "index.csv" in names and "index.json" in names
    assert archive.read(pdfs[0]).startswith(b"%PDF")
    index = json.loads(archive.read("index.json"))
    assert len(index["bills"]) == expected and index["currency"] == "EUR"
    index_csv = archive.read("index.csv").decode().splitlines()
    assert index_csv[0] == EXPORT_HEADER

    [message] = await mailbox.wait_for(1)
    assert message["To"] == "ana.demo@example.com"
    body = plain_body(message)
    assert "/downloads/requested" in body and "Facturas año 2026.zip" in body
    assert await OutboxEmail.count().where(OutboxEmail.template == "download_ready") == 1

    row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
    assert row["state"] == "ready" and row["done"] == expected and row["bill_count"] == expected
    assert row["expires_at"] - row["ready_at"] == dt.timedelta(days=7)
    assert await stored_keys(Storage(settings.storage), "downloads/") == [f"downloads/{request_id}.zip"]

    home = text_of((await client.get("/account")).text)
    assert "Recent downloads" in home and "Facturas año 2026.zip: Ready" in home
