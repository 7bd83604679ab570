"""The notification to the merchant: retried in the background when the merchant does not take it, the
payer sent back either way, sent once per payment whatever the payer clicks, and no card data in logs."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest

from conftest import free_port
from tests.integration.payments.sandbox.sandbox_merchant import Merchant
from tests.integration.payments.sandbox.sandbox_support import (  # noqa: F401 (fixtures)
    BankClient,
    merchant_fixture,
    notification,
    sandbox_fixture,
)


async def test_a_refused_notification_is_retried_until_the_merchant_takes_it(
    sandbox: BankClient, merchant: Merchant
) -> None:
    merchant.statuses = [503, 500]  # the merchant is briefly unwell, then answers 200
    path = await sandbox.open(merchant.request())
    accepted = await sandbox.pay(path)
    # The payer is sent on at once, although the merchant has not taken the notification yet.
    assert accepted.status_code == 303 and accepted.headers["location"] == f"{path}/result"
    assert len(merchant.notifications) == 1
    await asyncio.wait_for(sandbox.bank.notifier.drain(), 10)
    assert len(merchant.notifications) == 3
    # The same signed notification each time, and it verifies.
    assert merchant.notifications[0] == merchant.notifications[1] == merchant.notifications[2]
    assert notification(merchant.notifications[2]).authorised


async def test_an_unreachable_merchant_does_not_stop_the_payer(
    sandbox: BankClient, merchant: Merchant, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    request = dataclasses.replace(merchant.request(), merchant_url=closed)
    path = await sandbox.open(request)
    accepted = await sandbox.pay(path)
    assert accepted.status_code == 303
    result = await sandbox.http.get(accepted.headers["location"])
    assert "Payment authorised" in result.text
    await asyncio.wait_for(sandbox.bank.notifier.drain(), 10)
    failures = [r for r in caplog.records if "sandbox.notification_failed" in str(r.msg)]
    assert len(failures) == 4  # the first attempt and three retries
    assert any("sandbox.notification_abandoned" in str(r.msg) for r in caplog.records)


async def test_double_clicks_send_one_notification(sandbox: BankClient, merchant: Merchant) -> None:
    path = await sandbox.open(merchant.request())
    responses = await asyncio.gather(*(sandbox.pay(path) for _ in range(5)))
    assert {r.status_code for r in responses} == {303}
    assert {r.headers["location"] for r in responses} == {f"{path}/result"}
    await sandbox.bank.notifier.drain()
    assert len(merchant.notifications) == 1


async def test_no_card_data_in_the_logs(
    sandbox: BankClient, merchant: Merchant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    path = await sandbox.open(merchant.request())
    await sandbox.post(
        path, {"card_number": "4918 0191 9988 3839", "expiry": "1/20", "cvv": "987", "holder": "Zoë Q"}
    )
    await sandbox.pay(path, card_number="4918-0191-9988-3839", expiry="07/38", cvv="987", holder="Zoë Q")
    await sandbox.post(f"{path}/challenge", {"code": "123456"})
    logged = caplog.text
    assert "sandbox.payment_finished" in logged and "sandbox.notification_sent" in logged
    for secret in ("4918019199883839", "4918 0191", "4918-0191", "07/38", "Zoë Q", "491801*", "cvv"):
        assert secret not in logged
    # What the bank keeps of the card: the masked number only.
    operation = sandbox.bank.get(path.rsplit("/", 1)[1])
    assert operation is not None
    kept = list(_texts(operation))
    assert "491801******3839" in kept
    for secret in ("4918019199883839", "07/38", "Zoë Q"):
        assert not any(secret in text for text in kept)
    # A CVV is three digits, which a timestamp or a random code may hold by chance: never a value of its own.
    assert "987" not in kept


def _texts(value: object) -> Iterator[str]:
    """Every text an operation holds, its request's and notification's included."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _texts(getattr(value, field.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)
