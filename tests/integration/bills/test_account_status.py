"""The Customer Service Area home shows each account's status at a glance."""

from typing import Any

from portal.banking.money import format_eur
from portal.db.tables import Account, Bill
from tests.conftest import submit


async def test_home_shows_pending_amounts_last_bill_and_payment_method(client: Any, demo: None) -> None:
    await submit(client, "/sign-in", {"username": "admin.demo", "password": "demo-password-admin"})
    home = (await client.get("/account")).text
    accounts = await Account.select().where(Account.number.like("00010004%")).order_by(Account.number)
    shown = 0
    for account in accounts:
        section = home.split(f'id="account-{account["number"]}"')
        if len(section) == 1:
            continue  # not one of the administrator's accounts
        shown += 1
        card = section[1].split("</section>")[0]
        bills = (
            await Bill.select()
            .where(Bill.account == account["id"])
            .order_by(Bill.period_start, ascending=False)
        )
        pending = [bill for bill in bills if bill["status"] == "pending"]
        if pending:
            assert format_eur(sum(bill["total_cents"] for bill in pending)) in card
        else:
            assert "Nothing pending" in card
        assert bills[0]["number"] in card  # the last bill
        assert ("Direct debit from" in card) == (account["payment_method"] == "direct_debit")
    assert shown == 5
