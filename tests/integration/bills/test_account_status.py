"""The Customer Service Area home shows each account's status at a glance."""

import html
from typing import Any

from portal import clock
from portal.accounts.home_controllers import ACCOUNTS_PER_PAGE
from portal.banking.money import format_eur
from portal.db.tables import Account, AccountAccess, Bill, Customer, User
from portal.db.tables.users import AccessRole
from tests.conftest import submit
from tests.integration.downloads.download_steps import ANA_ACCOUNTS, ANA_IDENTITY


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


async def test_a_customer_is_greeted_by_name_and_next_due_is_still_to_come(client: Any, demo: None) -> None:
    await submit(client, "/sign-in", {"username": "ana.demo", "password": "demo-password-ana"})
    home = (await client.get("/account")).text
    assert "<title>Customer Service Area – Aguas de Ejemplo, S.A.</title>" in home  # the service named once
    holders = await Customer.select(Customer.name).where(Customer.identity_number == ANA_IDENTITY)
    assert f"Welcome, {html.escape(holders[0]['name'])}</p>" in home
    today = clock.today()
    overdue_cards = 0
    for account in await Account.select().where(Account.number.is_in(ANA_ACCOUNTS)):
        card = home.split(f'id="account-{account["number"]}"')[1].split("</section>")[0]
        pending = await Bill.select().where((Bill.account == account["id"]) & (Bill.status == "pending"))
        to_come = [bill["due_date"] for bill in pending if bill["due_date"] >= today]
        overdue = [bill for bill in pending if bill["due_date"] < today]
        if to_come:
            day = min(to_come)
            assert f"next due {day.day} {day:%b %Y}" in card
        else:
            assert "next due" not in card
        if overdue:
            overdue_cards += 1
            assert f'<strong class="overdue">{len(overdue)} overdue</strong>' in card
    assert overdue_cards  # the demo gives Ana an overdue bill


async def test_an_administrator_of_many_accounts_sees_totals_and_pages_of_cards(
    client: Any, demo: None
) -> None:
    admin = (await User.select(User.id).where(User.username == "admin.demo"))[0]["id"]
    owner = (await Customer.select(Customer.id).where(Customer.name == "Inmobiliaria Mediterránea, S.A."))[0]
    more = await Account.select(Account.id).where(Account.customer == owner["id"])
    now = clock.now()
    await AccountAccess.insert(
        *(
            AccountAccess(user=admin, account=row["id"], role=AccessRole.administrator, created_at=now)
            for row in more
        )
    )
    await submit(client, "/sign-in", {"username": "admin.demo", "password": "demo-password-admin"})
    first = (await client.get("/account")).text
    total = 5 + len(more)
    assert first.count('class="account-card"') == ACCOUNTS_PER_PAGE
    assert f"<dt>Accounts</dt><dd>{total}</dd>" in first
    assert f"Accounts 1 to {ACCOUNTS_PER_PAGE} of {total}" in first
    last = (await client.get(f"/account?page_number={-(-total // ACCOUNTS_PER_PAGE)}")).text
    assert last.count('class="account-card"') == total - ACCOUNTS_PER_PAGE * (
        -(-total // ACCOUNTS_PER_PAGE) - 1
    )
    assert 'rel="prev"' in last and 'rel="next"' not in last
