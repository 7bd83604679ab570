"""Who may see a payment: the browser that started it, the signed-in user who did, and users who may see
the account it paid for. Anyone else gets 404, exactly like an order that does not exist. Only the payer
is spoken to as the one who paid ("You have paid", "your payment"). Each test makes its own customers
(tests/factories.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from portal import clock
from portal.db.tables import Bill, Session
from portal.db.tables.users import UserKind
from tests.conftest import browser, submit
from tests.factories import customer
from tests.integration.payments.helpers import check_page, notification, notify, start_payment
from tests.steps import sign_in


def _paths(order: str, check: str) -> list[str]:
    return [
        check,
        f"/payments/{order}",
        f"/payments/{order}/bank",
        f"/payments/{order}/status",
        f"/payments/{order}/receipt.pdf",
    ]


async def test_another_browser_cannot_see_an_anonymous_payment(client: Any, app: Any, settings: Any) -> None:
    [bill] = (await customer(settings, user=None)).accounts[0].pending
    check = await check_page(client, bill.code_form)
    order = await start_payment(client, check)
    await notify(client, notification(order, bill.amount_cents))
    assert (await client.get(f"/payments/{order}")).status_code == 200
    async with browser(app, "203.0.113.10") as other:
        for path in [*_paths(order, check), "/payments/000100000099", "/pay/unknown/check"]:
            assert (await other.get(path)).status_code == 404, path


async def test_signed_in_users_see_payments_of_their_accounts_only(
    client: Any, app: Any, settings: Any
) -> None:
    """A holder's bill paid anonymously by someone else: the holder's user sees it (their account); the
    administrator of another holder does not."""
    holder = await customer(settings)
    other = await customer(settings, identity="cif", user=UserKind.administrator)
    [bill] = holder.accounts[0].pending
    async with browser(app, "198.51.100.20") as stranger:
        response = await submit(stranger, "/pay/barcode", {"barcode": bill.barcode})
        check = response.headers["location"]
        order = await start_payment(stranger, check)
    await notify(client, notification(order, bill.amount_cents))

    await sign_in(client, holder.signs_in_as.login)
    receipt = await client.get(f"/payments/{order}")
    assert receipt.status_code == 200 and "Payment complete" in receipt.text
    assert (await client.get(check)).status_code == 404  # the draft stays the stranger's

    await submit(client, "/sign-out")
    await sign_in(client, other.signs_in_as.login)
    for path in _paths(order, check):
        assert (await client.get(path)).status_code == 404, path


async def test_only_the_payer_sees_who_paid_and_with_which_card(client: Any, app: Any, settings: Any) -> None:
    """A holder's bill paid by a stranger: the holder's user sees that it was paid, when and how much; the
    stranger's email, card and receipt PDF stay the stranger's."""
    holder = await customer(settings)
    [bill] = holder.accounts[0].pending
    async with browser(app, "198.51.100.20") as stranger:
        response = await submit(stranger, "/pay/barcode", {"barcode": bill.barcode})
        order = await start_payment(stranger, response.headers["location"], email="stranger@example.com")
        await notify(client, notification(order, bill.amount_cents, card="454881******0004"))
        receipt = (await stranger.get(f"/payments/{order}")).text
        assert "stranger@example.com" in receipt and "454881******0004" in receipt
        assert f"/payments/{order}/receipt.pdf" in receipt

    await sign_in(client, holder.signs_in_as.login)
    for path in (f"/payments/{order}", f"/payments/{order}/status"):
        page = await client.get(path)
        assert page.status_code in (200, 286), path
        assert "Payment complete" in page.text and bill.amount in page.text and "Paid on" in page.text
        assert "stranger@example.com" not in page.text and "454881" not in page.text, path
        assert f"/payments/{order}/receipt.pdf" not in page.text
    assert (await client.get(f"/payments/{order}/receipt.pdf")).status_code == 404
    assert (await client.get(f"/payments/{order}/receipt/status")).status_code == 404


async def test_the_notification_needs_no_session_or_csrf_token_but_other_posts_do(
    client: Any, app: Any, settings: Any
) -> None:
    [bill] = (await customer(settings, user=None)).accounts[0].pending
    check = await check_page(client, bill.code_form)
    refused = await client.post(check, data={"email": "a@example.com"})
    assert refused.status_code == 403
    async with browser(app) as fresh:
        # Server to server: whatever Origin it names, its Redsys signature is the proof.
        response = await fresh.post(
            "/payments/notification",
            data=notification("000100000001", 100),
            headers={"origin": "https://sis-t.redsys.es"},
        )
    assert response.status_code == 200 and response.text == "OK"


async def test_signing_out_leaves_no_payment_open_to_the_next_person(
    client: Any, app: Any, settings: Any
) -> None:
    """A shared computer: after "Sign out", the payments made from it (and their receipts, which name the
    payer and the card) are not the browser's any more; signed in again, they are the user's."""
    holder = await customer(settings)
    [bill] = holder.accounts[0].pending
    await sign_in(client, holder.signs_in_as.login)
    check = (await submit(client, "/pay/barcode", {"barcode": bill.barcode})).headers["location"]
    order = await start_payment(client, check)
    await notify(client, notification(order, bill.amount_cents, card="454881******0004"))
    assert "454881******0004" in (await client.get(f"/payments/{order}")).text

    await submit(client, "/sign-out")
    for path in _paths(order, check):
        assert (await client.get(path)).status_code == 404, path
    await sign_in(client, holder.signs_in_as.login)
    assert "454881******0004" in (await client.get(f"/payments/{order}")).text


async def test_the_same_user_paying_from_a_second_browser_gets_its_own_order(
    client: Any, app: Any, settings: Any
) -> None:
    """One user, two browsers, the same bill: the second browser's "Start payment" opens its own order
    (the first one's is replaced), so the second browser sees its result even once the session has ended
    (the bank's return comes back to the browser, signed in or not)."""
    holder = await customer(settings)
    [bill] = holder.accounts[0].pending
    await sign_in(client, holder.signs_in_as.login)
    first = await start_payment(
        client, (await submit(client, "/pay/barcode", {"barcode": bill.barcode})).headers["location"]
    )
    async with browser(app, "198.51.100.30") as second_browser:
        await sign_in(second_browser, holder.signs_in_as.login)
        check = (await submit(second_browser, "/pay/barcode", {"barcode": bill.barcode})).headers["location"]
        second = await start_payment(second_browser, check)
        assert second != first
        assert await start_payment(second_browser, check) == second  # a double submit still reuses it
        await Session.update({Session.expires_at: clock.now()}, force=True)  # both sessions end
        await notify(client, notification(second, bill.amount_cents))
        result = await second_browser.get(f"/payments/{second}")
        assert result.status_code == 200 and "Payment complete" in result.text
    assert "replaced" in (await client.get(f"/payments/{first}")).text


async def test_the_refund_page_says_your_payment_to_its_payer_only(
    client: Any, app: Any, settings: Any
) -> None:
    """A holder's bill paid at a bank counter while a stranger was paying it by card: the stranger reads
    about their payment, the holder's user about a payment (not theirs)."""
    holder = await customer(settings)
    [bill] = holder.accounts[0].pending
    async with browser(app, "198.51.100.20") as stranger:
        response = await submit(stranger, "/pay/barcode", {"barcode": bill.barcode})
        order = await start_payment(stranger, response.headers["location"])
        await Bill.update({Bill.status: "paid", Bill.paid_channel: "bank_counter"}).where(
            Bill.number == bill.number
        )
        await notify(client, notification(order, bill.amount_cents))
        payer = (await stranger.get(f"/payments/{order}")).text
    assert "Already paid: your payment will be refunded" in payer
    assert f"The bank took your payment of {bill.amount}" in payer
    assert "already been paid another way (for example at a bank counter" in payer

    await sign_in(client, holder.signs_in_as.login)
    for path in (f"/payments/{order}", f"/payments/{order}/status"):
        page = await client.get(path)
        assert page.status_code in (200, 286), path
        assert "Already paid: this payment will be refunded" in page.text, path
        assert f"The bank took a payment of {bill.amount}" in page.text, path
        assert "your payment" not in page.text.lower(), path


# The payer's own words: nobody else who may see the account is told that they paid, or asked to.
_SECOND_PERSON = re.compile(r"\byour?\b", re.IGNORECASE)


async def _start_paying(stranger: Any, bill: Any) -> str:
    """ "Pay now with barcode" and "Start payment" for the bill, in the stranger's browser: the order."""
    response = await submit(stranger, "/pay/barcode", {"barcode": bill.barcode})
    return await start_payment(stranger, response.headers["location"], email="stranger@example.com")


async def _page_and_status(client: Any, order: str) -> tuple[str, str]:
    """The payment's page and its status fragment (what the page's poll swaps in), as this browser sees it."""
    return (await client.get(f"/payments/{order}")).text, (await client.get(f"/payments/{order}/status")).text


async def test_a_paid_payment_is_described_to_others_who_see_the_account_not_as_theirs(
    client: Any, app: Any, settings: Any
) -> None:
    """A holder's bill paid by a stranger: the stranger's page says "You have paid" and "Your receipt", as
    ever; the holder's user (who paid nothing) reads that it was paid, when, and its details."""
    holder = await customer(settings)
    [bill] = holder.accounts[0].pending
    amount = f"{bill.amount}\xa0€"
    async with browser(app, "198.51.100.20") as stranger:
        order = await _start_paying(stranger, bill)
        with clock.frozen_at(dt.datetime(2026, 12, 7, 17, 45, tzinfo=dt.UTC)):
            await notify(client, notification(order, bill.amount_cents))
        page, status = await _page_and_status(stranger, order)
    for shown in (page, status):
        assert f'<div class="panel__body">You have paid {amount}</div>' in shown
        assert "<h2>Your receipt</h2>" in shown and "What you paid" in shown
        assert "Download the receipt (PDF)" in shown
    assert f'"innerHTML:#live-status">Payment complete: you have paid {amount}</div>' in status

    await sign_in(client, holder.signs_in_as.login)
    page, status = await _page_and_status(client, order)
    for shown in (page, status):
        assert f'<div class="panel__body">{amount} was paid by card on 7 Dec 2026</div>' in shown
        assert "<h2>Payment details</h2>" in shown and "What was paid" in shown
        for words in ("You have paid", "Your receipt", "What you paid", "Download the receipt"):
            assert words not in shown, words
        assert "stranger@example.com" not in shown and "454881" not in shown
    announced = f"Payment complete: {amount} was paid by card on 7 Dec 2026"
    assert f'"innerHTML:#live-status">{announced}</div>' in status
    assert not _SECOND_PERSON.search(status), status


async def test_a_payment_not_paid_yet_or_not_accepted_is_described_to_others_not_as_theirs(
    client: Any, app: Any, settings: Any
) -> None:
    """A stranger paying a holder's bill, as the holder's user sees it meanwhile: waiting for the bank, then
    declined, then (a new try) cancelled, each said of "this payment"; the way back to the bank (its link
    and its page) and "Try again" stay the stranger's, who still reads their own words."""
    holder = await customer(settings)
    [bill] = holder.accounts[0].pending
    what = f"what it was for (Bill {bill.number}) is still pending"
    await sign_in(client, holder.signs_in_as.login)
    async with browser(app, "198.51.100.20") as stranger:
        order = await _start_paying(stranger, bill)
        payer = (await stranger.get(f"/payments/{order}")).text
        assert "We are waiting for the bank to confirm your payment" in payer
        assert f"/payments/{order}/bank" in payer  # "Go back to the bank to pay"
        page, status = await _page_and_status(client, order)
        for shown in (page, status):
            assert "<h1>Waiting for the bank</h1>" in shown and "Check again" in shown
            waiting = (
                f"The bank has not confirmed this payment of {bill.amount}\xa0€ (Bill {bill.number}) yet."
            )
            assert waiting in shown
            assert f"/payments/{order}/bank" not in shown
        assert not _SECOND_PERSON.search(status), status
        # Nor by its address: the bank's form is the payer's, who is paying it there.
        bank = await client.get(f"/payments/{order}/bank", follow_redirects=False)
        assert (bank.status_code, bank.headers["location"]) == (303, f"/payments/{order}")
        assert (await stranger.get(f"/payments/{order}/bank")).status_code == 200

        await notify(client, notification(order, bill.amount_cents, "0190"))
        payer = (await stranger.get(f"/payments/{order}")).text
        assert "<h1>Your payment was not accepted</h1>" in payer and "Try again" in payer
        page, status = await _page_and_status(client, order)
        for shown in (page, status):
            assert "<h1>This payment was not accepted</h1>" in shown
            assert f"The bank declined the payment. Nothing has been charged, and {what}" in shown
            assert "Try again" not in shown and '<a href="/bills">Back to My bills</a>' in shown
        assert '"innerHTML:#live-status">This payment was not accepted</div>' in status
        assert not _SECOND_PERSON.search(status), status

        again = await _start_paying(stranger, bill)
        await notify(client, notification(again, bill.amount_cents, "9915"))  # the stranger pressed "Cancel"
        payer = (await stranger.get(f"/payments/{again}")).text
        assert "<h1>You cancelled the payment</h1>" in payer and "Try again" in payer
    page, status = await _page_and_status(client, again)
    for shown in (page, status):
        assert "<h1>The payment was cancelled</h1>" in shown
        assert f"The payment was cancelled at the bank. Nothing was charged, and {what}" in shown
        assert "Try again" not in shown
    assert not _SECOND_PERSON.search(status), status


async def test_a_check_page_left_open_past_its_time_says_so_and_opens_no_payment(
    client: Any, app: Any, settings: Any
) -> None:
    """ "Start payment" pressed hours later: not "Page not found… check the address you typed", but what
    happened and the way to pay; the same page for another browser's draft, which it does not reveal."""
    import datetime as dt

    from portal.db.tables import Payment, PaymentDraft

    [bill] = (await customer(settings, user=None)).accounts[0].pending
    check = await check_page(client, bill.code_form)
    key = check.split("/")[2]
    await PaymentDraft.update({PaymentDraft.expires_at: clock.now() - dt.timedelta(seconds=1)}).where(
        PaymentDraft.key == key
    )
    async with browser(app, "203.0.113.11") as other:
        others = await check_page(other, bill.code_form)
    pages = [
        await client.get(check),
        await submit(client, check, {"email": "payer@example.com"}),
        await client.get(others),
    ]
    for response in pages:
        assert response.status_code == 404
        assert "<h1>This payment page is no longer available</h1>" in response.text
        assert 'href="/pay"' in response.text
        assert "Page not found" not in response.text
    assert await Payment.count() == 0
