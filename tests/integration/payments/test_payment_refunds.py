"""Card payments to refund, as an operator lists and records them: `portal payments refunds` and
`portal payments refunded ORDER`."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from portal.payments.refunds import mark_refunded, refunds
from portal.settings import Settings
from tests.integration.imports.import_steps import run
from tests.integration.imports.test_import_payments import MARIA_BILL, payment
from tests.integration.payments.helpers import MARIA_CENTS, check_page, notification, notify, start_payment


def portal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_card_payment_for_a_bill_paid_at_the_bank_is_listed_until_refunded(
    client: Any, demo: None, settings: Settings
) -> None:
    order = await start_payment(client, await check_page(client))
    await run(payment(MARIA_BILL, MARIA_CENTS, at="2026-11-27T12:00:00Z"), settings)
    await notify(client, notification(order, MARIA_CENTS))
    [refund] = await refunds()
    assert refund.order_id == order and refund.amount_cents == MARIA_CENTS
    line = refund.line()
    assert line.startswith(f"{order}  ") and "14.69 EUR  card 454881******0004" in line
    assert f"{MARIA_BILL}, already paid 27 Nov 2026 (bank counter)" in line and line.endswith("to refund")

    listed = portal("payments", "refunds")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[-2:] == [line, "1 card payments to refund"]

    recorded = portal("payments", "refunded", order)
    assert recorded.returncode == 0, recorded.stderr
    assert await refunds() == []
    [done] = await refunds(include_refunded=True)
    assert done.refunded_at is not None and "refunded " in done.line()
    assert await mark_refunded(order) is False  # once only
    assert await mark_refunded("000000000000") is False


async def test_a_payment_that_paid_its_bill_is_not_one_to_refund(client: Any, demo: None) -> None:
    order = await start_payment(client, await check_page(client))
    await notify(client, notification(order, MARIA_CENTS))
    assert await refunds(include_refunded=True) == []
    refused = portal("payments", "refunded", order)
    assert refused.returncode == 1 and "is not a card payment to refund" in refused.stderr


async def test_an_order_number_is_repeated_quoted(db: None) -> None:
    """The order as typed, repeated as it was, could write lines of its own: here one saying the refund
    was recorded."""
    refused = portal("payments", "refunded", "202612070001\n202612070001: refund recorded")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.splitlines()[-1] == (
        "portal payments refunded: '202612070001\\n202612070001: refund recorded' is not a card payment"
        " to refund"
    )
