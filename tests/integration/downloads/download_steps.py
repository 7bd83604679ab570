"""Steps of "Massive bills download" as a browser takes them, shared by the downloads tests."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Sequence
from typing import Any

from portal import clock
from portal.db.tables import Bill
from portal.downloads.forms import period_of
from tests.conftest import submit
from tests.steps import ANA_IDENTITY

ANA_ACCOUNTS = ("0001000413", "0001000421")
MARIA_IDENTITY = "48213657E"  # a demo holder that neither demo user may see
MARIA_ACCOUNT = "0001000017"

_TAG = re.compile(r"<[^>]+>")


def plain_body(message: Any) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode())
    raise AssertionError("no text part")


def text_of(page: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", page)).split())


def details_form(**answers: str) -> dict[str, str]:
    """The fields the first step posts for these answers: the selector goes into the field under its way of
    selecting (`selector_identity` or `selector_account`), a month like "2026-06" into its month and year
    fields."""
    form = {}
    for key, value in answers.items():
        if key == "selector":
            form[f"selector_{answers.get('select_by', 'identity')}"] = value
        elif key in {"period_from", "period_to"}:
            year, _, month = value.partition("-")
            form |= {f"{key}_month": month, f"{key}_year": year}
        else:
            form[key] = value
    return form


async def start(client: Any, **answers: str) -> Any:
    """Post the first step ("Request download"); answers default to Ana's bills of the last 12 months."""
    data = {"name": "Ana bills", "period": "last_12", "select_by": "identity", "selector": ANA_IDENTITY}
    data.update(answers)
    return await submit(client, "/downloads/new", details_form(**data))


async def bills_in_period(accounts: Sequence[str] = ANA_ACCOUNTS, preset: str = "last_12") -> int:
    """How many of these accounts' bills a preset period holds today. The demo dates its bills from the
    clock's today (the latest issued 7 days ago), and "last 12 months" starts on the first day of the
    month 11 months back: on days 1–8 of a month the window holds 11 monthly bills per account, on other
    days 12. So the count comes from the product's period dates and the rule the page states (a bill is
    in the period when its billing period overlaps it), counted here in the database."""
    start, end = period_of(preset, "", "", clock.today())
    return await Bill.count().where(
        Bill.account.number.is_in(list(accounts)) & (Bill.period_end >= start) & (Bill.period_start <= end)
    )


def shown_bill_ids(page: str) -> list[str]:
    return re.findall(r'name="shown" value="(\d+)"', page)


async def request_until_check(client: Any, **answers: str) -> int:
    """Answers, then every bill of the selection marked, then "Continue": the check page is next."""
    response = await start(client, **answers)
    assert response.status_code == 303, response.text
    request_id = int(response.headers["location"].split("/")[2])
    response = await submit(client, f"/downloads/{request_id}/bills", {"action": "select_all"})
    assert response.status_code == 303
    response = await submit(client, f"/downloads/{request_id}/bills", {"action": "continue"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/downloads/{request_id}/check"
    return request_id


async def wait_until_finished(client: Any, within: float = 90) -> Any:
    """Poll the status fragment as htmx does until it answers 286 (nothing left in progress)."""
    async with asyncio.timeout(within):
        while True:
            status = await client.get("/downloads/requested/status")
            if status.status_code == 286:
                return status
            assert status.status_code == 200
            await asyncio.sleep(0.2)


async def confirmed_request(client: Any, **answers: str) -> int:
    request_id = await request_until_check(client, **answers)
    response = await submit(client, f"/downloads/{request_id}/confirm")
    assert response.status_code == 303, response.text
    return request_id
