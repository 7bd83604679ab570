"""Who may see a payment: the browser that started it, the signed-in user who did, and users who may see
the account it paid for. Anyone else gets 404, exactly like an order that does not exist."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import submit
from tests.integration.payments.helpers import ANA_BARCODE, check_page, notification, notify, start_payment
from tests.steps import ADMIN, ANA, sign_in


def _paths(order: str, check: str) -> list[str]:
    return [
        check,
        f"/payments/{order}",
        f"/payments/{order}/bank",
        f"/payments/{order}/status",
        f"/payments/{order}/receipt.pdf",
    ]


async def test_another_browser_cannot_see_an_anonymous_payment(client: Any, demo: None, app: Any) -> None:
    check = await check_page(client)
    order = await start_payment(client, check)
    await notify(client, notification(order, 1469))
    assert (await client.get(f"/payments/{order}")).status_code == 200
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50003))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as other:
        for path in [*_paths(order, check), "/payments/000100000099", "/pay/unknown/check"]:
            assert (await other.get(path)).status_code == 404, path


async def test_signed_in_users_see_payments_of_their_accounts_only(client: Any, demo: None, app: Any) -> None:
    """Ana's bill paid anonymously by someone else: Ana sees it (her account); the administrator of
    another holder does not."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 50004))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as stranger:
        response = await submit(stranger, "/pay/barcode", {"barcode": ANA_BARCODE})
        check = response.headers["location"]
        order = await start_payment(stranger, check)
    await notify(client, notification(order, 1348))

    await sign_in(client, ANA)
    receipt = await client.get(f"/payments/{order}")
    assert receipt.status_code == 200 and "Payment complete" in receipt.text
    assert (await client.get(check)).status_code == 404  # the draft stays the stranger's

    await submit(client, "/sign-out")
    await sign_in(client, ADMIN)
    for path in _paths(order, check):
        assert (await client.get(path)).status_code == 404, path


async def test_the_notification_needs_no_session_or_csrf_token_but_other_posts_do(
    client: Any, demo: None
) -> None:
    check = await check_page(client)
    refused = await client.post(check, data={"email": "a@example.com"})
    assert refused.status_code == 403
    fresh = httpx.AsyncClient(transport=client._transport, base_url="http://127.0.0.1:8000")
    async with fresh:
        response = await fresh.post("/payments/notification", data=notification("000100000001", 100))
    assert response.status_code == 200 and response.text == "OK"
