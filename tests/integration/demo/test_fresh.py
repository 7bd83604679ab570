"""`portal demo customer` (an end-to-end test's own customer) comes in through the importer, as the demo
does, with serials after every one in the database and what the test reads printed as JSON."""

from __future__ import annotations

from typing import Any

from portal.db.tables import Account, AccountAccess, Bill, Customer, ImportRun, User
from portal.db.tables.users import UserKind
from portal.demo.fresh import add_customer
from portal.settings import Settings
from tests.integration.imports.import_steps import run
from tests.unit.imports.import_samples import CREDIT_BILL, jsonl, record


async def _add(settings: Settings, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = dict(
        identity="dni", pending=[2, 0], user=UserKind.private, password="a password 7", online_bill=True
    )
    return await add_customer(settings, **{**options, **kwargs})


async def test_a_fresh_customer_is_imported_with_its_user(db: None, settings: Settings) -> None:
    runs = await ImportRun.count()
    customer = await _add(settings)
    assert await ImportRun.count() == runs + 1  # one import run: its customer, accounts and bills
    [row] = await Customer.select(Customer.id, Customer.name).where(
        Customer.identity_number == customer["identity"]
    )
    assert row["name"] == customer["name"]
    numbers = [account["number"] for account in customer["accounts"]]
    assert len(numbers) == 2
    bills = await Bill.select(
        Bill.number, Bill.status, Bill.payment_reference, Bill.account.number.as_alias("account")
    ).where(Bill.account.customer == row["id"])
    printed = {
        bill["number"]: (account["number"], bill)
        for account in customer["accounts"]
        for bill in account["bills"]
    }
    assert {bill["number"] for bill in bills} == set(printed)
    for bill in bills:
        account, data = printed[bill["number"]]
        assert (bill["account"], bill["status"], bill["payment_reference"]) == (
            account,
            data["status"],
            data["reference"],
        )
    assert [len(account["bills"]) for account in customer["accounts"]] == [25, 25]
    assert [[b["status"] for b in a["bills"]].count("pending") for a in customer["accounts"]] == [2, 0]
    [user] = await User.select(User.id).where(User.username == customer["user"]["username"])
    access = await AccountAccess.select(AccountAccess.account.number.as_alias("number")).where(
        AccountAccess.user == user["id"]
    )
    assert sorted(row["number"] for row in access) == sorted(numbers)
    online = await Account.select(Account.online_bill).where(Account.number.is_in(numbers))
    assert all(row["online_bill"] for row in online)


async def test_each_fresh_customer_takes_new_serials(db: None, settings: Settings) -> None:
    first = await _add(settings, identity="cif", user=None, pending=[1])
    second = await _add(settings, identity="cif", user=None, pending=[1], online_bill=False)
    assert first["identity"] != second["identity"]
    assert second["user"] is None
    [one], [two] = first["accounts"], second["accounts"]
    assert int(two["number"][:9]) == int(one["number"][:9]) + 1
    assert (
        int(two["bills"][0]["number"].removeprefix("FA"))
        == int(one["bills"][-1]["number"].removeprefix("FA")) + 1
    )
    assert two["bills"][0]["reference"][:11] == two["bills"][0]["number"][2:]  # the serial, then checks


async def test_a_credit_bill_numbered_as_the_demo_numbers_keeps_its_serial(
    db: None, settings: Settings
) -> None:
    """A credit bill has no payment reference, from which the next serial was read: the next fresh
    customer's first bill took its number and failed to import."""
    first = await _add(settings, user=None, pending=[1])
    [account] = first["accounts"]
    serial = int(account["bills"][-1]["number"].removeprefix("FA")) + 1
    credit = record(CREDIT_BILL, number=f"FA{serial:011d}", account=account["number"])
    assert (await run(jsonl(credit), settings)).rejections == []
    second = await _add(settings, user=None, pending=[1])
    assert second["accounts"][0]["bills"][0]["number"] == f"FA{serial + 1:011d}"
