"""The rules of "Request download": mandatory answers, "no bills found" that reveals nothing, marks kept
in the draft row, limits per request and per user, other users' requests not found."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from portal.db.tables import DownloadRequest, DownloadRequestBill
from portal.downloads.flow import NO_BILLS
from portal.settings import DownloadSettings, Settings
from tests.conftest import running, submit
from tests.integration.accounts.helpers import field_value
from tests.integration.downloads.download_steps import (
    ANA_ACCOUNTS,
    MARIA_ACCOUNT,
    MARIA_IDENTITY,
    bills_in_period,
    details_form,
    request_until_check,
    shown_bill_ids,
    start,
    text_of,
)
from tests.steps import ADMIN, ANA_IDENTITY, error_links_nowhere, error_messages, sign_in


@pytest.fixture
async def limited(db: None, settings: Settings) -> AsyncIterator[Any]:
    """The portal with small limits: 5 bills per request, 1 request in progress per user."""
    from portal.app import create_app

    small = dataclasses.replace(settings, downloads=DownloadSettings(max_bills=5, max_in_progress=1))
    async with running(create_app(small)) as http:
        yield http


async def test_every_answer_is_checked_and_kept(client: Any, demo: None) -> None:
    await sign_in(client)
    response = await start(client, name="", period="", select_by="", selector="")
    assert response.status_code == 422
    assert error_messages(response.text) == [
        "Enter a name for the downloaded file",
        "Select the billing period",
        "Select how to choose the bills: by identity document or by account number",
    ]
    assert "<title>Error: Request download" in response.text
    response = await start(
        client, name="Mis facturas", period="custom", period_from="2026-06", period_to="2026-01"
    )
    assert response.status_code == 422
    assert error_messages(response.text) == ["Last month must be the same as the first month or a later one"]
    assert 'value="Mis facturas"' in response.text
    assert 'name="period_from_month" type="text" inputmode="numeric" value="06"' in response.text
    assert 'name="period_from_year" type="text" inputmode="numeric" value="2026"' in response.text
    assert 'aria-describedby="period_to-hint period_to-error"' in response.text


async def test_a_selector_typed_without_choosing_how_to_select_is_kept(client: Any, demo: None) -> None:
    """Without JavaScript both fields show, each under its way of selecting: what was typed in them comes
    back after an error, chosen or not (as the months do, whatever the period), never lost."""
    await sign_in(client)
    typed = {"name": "Ana bills", "period": "last_12", "selector_identity": ANA_IDENTITY}
    response = await submit(client, "/downloads/new", {**typed, "selector_account": ANA_ACCOUNTS[0]})
    assert response.status_code == 422
    assert error_messages(response.text) == [
        "Select how to choose the bills: by identity document or by account number"
    ]
    assert field_value(response.text, "selector_identity") == ANA_IDENTITY
    assert field_value(response.text, "selector_account") == ANA_ACCOUNTS[0]
    response = await submit(client, "/downloads/new", {**typed, "name": "", "select_by": "account"})
    assert error_messages(response.text) == [
        "Enter a name for the downloaded file",
        "Enter the account number",
    ]
    assert field_value(response.text, "selector_identity") == ANA_IDENTITY


async def test_a_chosen_month_out_of_the_years_taken_is_told_the_range(client: Any, demo: None) -> None:
    await sign_in(client)
    response = await start(client, period="custom", period_from="9999-06", period_to="2026-01")
    assert response.status_code == 422
    assert error_messages(response.text) == ["First month must include a year between 1900 and 2999"]
    assert 'name="period_from_year" type="text" inputmode="numeric" value="9999"' in response.text
    await submit(client, "/language", {"language": "es", "return_to": "/"})
    response = await start(client, period="custom", period_from="2026-01", period_to="1899-06")
    assert error_messages(response.text) == ["«Último mes» debe incluir un año entre 1900 y 2999"]


@pytest.mark.parametrize(
    ("select_by", "selector"),
    [
        ("identity", MARIA_IDENTITY),  # another holder: exists, not Ana's
        ("account", MARIA_ACCOUNT),
        ("identity", "00000000T"),  # nobody
        ("account", "9999999999"),
    ],
)
async def test_other_holders_find_no_bills(client: Any, demo: None, select_by: str, selector: str) -> None:
    await sign_in(client)
    response = await start(client, select_by=select_by, selector=selector)
    assert response.status_code == 422
    assert error_messages(response.text) == [NO_BILLS]
    assert await DownloadRequest.count() == 0


async def test_no_bills_in_the_period(client: Any, demo: None) -> None:
    await sign_in(client)
    response = await start(client, period="custom", period_from="2001-01", period_to="2001-12")
    assert error_messages(response.text) == [NO_BILLS]


async def test_select_by_account_and_change_the_selection(client: Any, demo: None) -> None:
    await sign_in(client)
    response = await start(client, select_by="account", selector=ANA_ACCOUNTS[0])
    request_id = int(response.headers["location"].split("/")[2])
    page = await client.get(f"/downloads/{request_id}/bills")
    ids = shown_bill_ids(page.text)
    assert len(ids) == await bills_in_period(ANA_ACCOUNTS[:1]) and ANA_ACCOUNTS[1] not in page.text
    await submit(client, f"/downloads/{request_id}/bills", {"shown": ids, "action": "select_shown"})
    # "Change": the details page shows the answers back; a new period drops the marks outside it.
    details = await client.get(f"/downloads/{request_id}/details")
    assert f'value="{ANA_ACCOUNTS[0]}"' in details.text and 'value="Ana bills"' in details.text
    response = await submit(
        client,
        f"/downloads/{request_id}/details",
        details_form(name="Ana", period="last_3", select_by="account", selector=ANA_ACCOUNTS[0]),
    )
    assert response.status_code == 303
    marks = await DownloadRequestBill.count().where(DownloadRequestBill.request == request_id)
    assert marks == await bills_in_period(ANA_ACCOUNTS[:1], "last_3")  # the last 3 months' only
    page = await client.get(f"/downloads/{request_id}/bills")
    assert f"{marks} bills marked" in text_of(page.text)


async def test_pages_of_fifty_and_marking_them_all(client: Any, demo: None) -> None:
    await sign_in(client, ADMIN)  # 5 accounts of 25 bills: 125 bills over 3 pages
    response = await start(
        client, period="custom", period_from="2000-01", period_to="2030-12", selector="H46528733"
    )
    request_id = int(response.headers["location"].split("/")[2])
    first = await client.get(f"/downloads/{request_id}/bills")
    assert "page 1 of 3" in text_of(first.text) and len(shown_bill_ids(first.text)) == 50
    second = await client.get(f"/downloads/{request_id}/bills?page=2")
    assert set(shown_bill_ids(second.text)).isdisjoint(shown_bill_ids(first.text))
    response = await submit(
        client, f"/downloads/{request_id}/bills", {"shown": shown_bill_ids(first.text), "action": "page:2"}
    )
    assert response.headers["location"].startswith(f"/downloads/{request_id}/bills?page=2")
    await submit(client, f"/downloads/{request_id}/bills", {"action": "select_all"})
    assert "125 bills marked" in text_of((await client.get(f"/downloads/{request_id}/bills?page=3")).text)


async def test_at_most_max_bills_per_request(limited: Any, demo: None) -> None:
    await sign_in(limited)
    response = await start(limited)
    request_id = int(response.headers["location"].split("/")[2])
    response = await submit(limited, f"/downloads/{request_id}/bills", {"action": "select_all"})
    assert response.status_code == 422
    count = await bills_in_period()
    assert error_messages(response.text) == [
        f"This selection has {count} bills: one request can hold at most 5. Choose a shorter period, or mark "
        "bills page by page"
    ]
    ids = shown_bill_ids((await limited.get(f"/downloads/{request_id}/bills")).text)
    await submit(limited, f"/downloads/{request_id}/bills", {"shown": ids, "action": "select_shown"})
    response = await submit(limited, f"/downloads/{request_id}/bills", {"action": "continue"})
    assert response.status_code == 422
    assert error_messages(response.text) == [
        f"You have marked {count} bills: one request can hold at most 5. Unmark some bills, or make two "
        "requests"
    ]
    response = await submit(limited, f"/downloads/{request_id}/confirm")
    assert response.status_code == 422
    assert "one request can hold at most 5" in error_messages(response.text)[0]
    assert error_links_nowhere(response.text) == []


async def test_at_most_max_requests_in_progress(limited: Any, demo: None) -> None:
    await sign_in(limited)
    ids = []
    for _ in range(2):
        response = await start(limited, period="last_3")
        request_id = int(response.headers["location"].split("/")[2])
        page = await limited.get(f"/downloads/{request_id}/bills")
        await submit(
            limited,
            f"/downloads/{request_id}/bills",
            {"shown": shown_bill_ids(page.text)[:2], "action": "select_shown"},
        )
        ids.append(request_id)
    assert (
        await submit(limited, f"/downloads/{ids[0]}/confirm")
    ).status_code == 303  # queued: no worker here
    response = await submit(limited, f"/downloads/{ids[1]}/confirm")
    assert response.status_code == 422
    assert error_messages(response.text) == [
        "You already have 1 downloads being prepared. Wait until one of them is ready in “Downloads "
        "requested”, then confirm this one"
    ]
    row = await DownloadRequest.select(DownloadRequest.state).where(DownloadRequest.id == ids[1]).first()
    assert row["state"] == "draft"


async def test_other_users_requests_are_not_found(client: Any, app: Any, demo: None) -> None:
    from tests.integration.accounts.helpers import browser

    await sign_in(client)
    request_id = await request_until_check(client)
    async with browser(app, "198.51.100.7") as other:
        await sign_in(other, ADMIN)
        for path in ("details", "bills", "check", "list.xlsx", "requested", "file"):
            assert (await other.get(f"/downloads/{request_id}/{path}")).status_code == 404, path
        for path in ("bills", "bills/marks", "details", "confirm", "retry"):
            assert (
                await submit(other, f"/downloads/{request_id}/{path}", {"action": "clear"})
            ).status_code == 404
        listing = await other.get("/downloads/requested")
        assert "Ana bills" not in listing.text
    marks = await DownloadRequestBill.count().where(DownloadRequestBill.request == request_id)
    assert marks == await bills_in_period()


async def test_after_confirm_the_flow_pages_lead_to_the_request(client: Any, demo: None, queue: Any) -> None:
    await sign_in(client)
    request_id = await request_until_check(client)
    await submit(client, f"/downloads/{request_id}/confirm")
    for path in ("details", "bills", "check"):
        response = await client.get(f"/downloads/{request_id}/{path}")
        assert (
            response.status_code == 303
            and response.headers["location"] == f"/downloads/{request_id}/requested"
        )
    job = await queue.job(f"download:{request_id}")
    assert job is not None and job.function == "build_download"
    assert job.heartbeat > 0 and job.timeout > 0 and job.retries > 1 and job.retry_backoff


async def test_identity_typed_loosely_is_found(client: Any, demo: None) -> None:
    await sign_in(client)
    response = await start(client, selector=f" {ANA_IDENTITY[:8]}-{ANA_IDENTITY[8].lower()} ")
    assert response.status_code == 303
