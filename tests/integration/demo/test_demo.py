"""The demo data: the same every time, consistent, complete for the journeys; and the scale generator."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from argon2 import PasswordHasher

from portal.accounts.throttle import SIGN_IN_PER_IP
from portal.banking.cuaderno57 import PaymentCode
from portal.banking.identity import validate_identity
from portal.db.tables import AccountAccess, Attempt, Bill, Customer
from portal.demo.describe import describe_demo
from portal.demo.generate import DEMO_CUSTOMERS, DEMO_USERS
from portal.demo.load import load_demo, load_demo_if_empty
from portal.demo.scale import load_scale_bills
from portal.payments.lookup import LOOKUP_PER_IP
from portal.settings import Settings
from portal.web.throttle import count_attempt

TODAY = date(2026, 12, 3)
# The last day of a month, after a leap day: month arithmetic must clamp days, not shift amounts.
OTHER_DAY = date(2028, 3, 31)

_BILLS = """
    SELECT b.number, a.number AS account, b.period_start, b.period_end, b.issue_date, b.due_date,
           b.reading_previous, b.reading_current, b.consumption_m3, b.lines, b.taxable_cents, b.vat_cents,
           b.total_cents, b.status, b.paid_at, b.payment_suffix, b.payment_reference,
           b.payment_identification
    FROM bill b JOIN account a ON a.id = b.account
    ORDER BY b.number
"""


async def _bills() -> list[dict[str, Any]]:
    return list(await Bill.raw(_BILLS))


def _digest(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()


async def test_loading_again_with_the_same_day_gives_identical_bills(db: None, settings: Settings) -> None:
    await load_demo(settings, today=TODAY)
    first = await _bills()
    await load_demo(settings, today=TODAY)  # replaces the previous demo
    second = await _bills()
    assert len(first) == len(second) == await Bill.count() > 1000
    assert _digest(first) == _digest(second)


async def test_numbers_amounts_and_codes_do_not_depend_on_the_day(db: None, settings: Settings) -> None:
    stable = (
        "number", "account", "consumption_m3", "lines", "total_cents", "status", "payment_suffix",
        "payment_reference", "payment_identification",
    )  # fmt: skip
    await load_demo(settings, today=TODAY)
    first = await _bills()
    await load_demo(settings, today=OTHER_DAY)
    second = await _bills()
    assert [[row[key] for key in stable] for row in first] == [[row[key] for key in stable] for row in second]
    assert max(row["issue_date"] for row in first) == date(2026, 11, 26)
    assert max(row["issue_date"] for row in second) == date(2028, 3, 24)


async def test_amounts_add_up_and_payment_codes_verify(db: None, settings: Settings) -> None:
    await load_demo(settings, today=TODAY)
    bills = await _bills()
    previous: dict[str, Any] = {}
    for bill in bills:
        lines = json.loads(bill["lines"])
        assert all(line["quantity"] * line["unit_price_cents"] == line["amount_cents"] for line in lines)
        assert [line["kind"] for line in lines][-1] == "vat"
        assert sum(line["amount_cents"] for line in lines[:-1]) == bill["taxable_cents"]
        assert lines[-1]["amount_cents"] == bill["vat_cents"] == (bill["taxable_cents"] * 10 + 50) // 100
        assert bill["total_cents"] == bill["taxable_cents"] + bill["vat_cents"]
        assert bill["payment_suffix"] == settings.issuer.bill_suffix
        assert bill["payment_identification"] == bill["account"][-6:]
        code = PaymentCode(
            settings.issuer.code,
            bill["payment_suffix"],
            bill["payment_reference"],
            bill["payment_identification"],
            bill["total_cents"],
        )  # raises if the check digits are wrong
        assert PaymentCode.parse_barcode(code.barcode_digits) == code
        assert bill["reading_current"] - bill["reading_previous"] == bill["consumption_m3"] > 0
        before = previous.get(bill["account"])
        if before is not None:
            assert bill["reading_previous"] == before["reading_current"]
            assert (bill["period_start"] - before["period_end"]).days == 1
        previous[bill["account"]] = bill
    assert len(previous) == sum(len(customer.accounts) for customer in DEMO_CUSTOMERS)


async def test_every_identity_document_is_valid(db: None, settings: Settings) -> None:
    await load_demo(settings, today=TODAY)
    customers = await Customer.select(Customer.identity_kind, Customer.identity_number, Customer.kind)
    assert {row["identity_kind"] for row in customers} == {"DNI", "NIE", "CIF"}
    for row in customers:
        document = validate_identity(row["identity_number"], row["kind"])
        assert (document.kind, document.number) == (row["identity_kind"], row["identity_number"])


async def test_there_are_bills_in_every_state_the_journeys_need(db: None, settings: Settings) -> None:
    await load_demo(settings, today=TODAY)
    bills = await Bill.select(
        Bill.status, Bill.due_date, Bill.paid_at, Bill.account._.payment_method, Bill.account._.iban_masked
    )
    pending = [bill for bill in bills if bill["status"] == "pending"]
    assert any(bill["due_date"] >= TODAY for bill in pending)
    assert any(bill["due_date"] < TODAY for bill in pending)  # overdue
    assert all(bill["paid_at"] is None for bill in pending)
    paid = [bill for bill in bills if bill["status"] == "paid"]
    assert paid and all(bill["paid_at"] < datetime.combine(TODAY, datetime.min.time(), UTC) for bill in paid)
    debited = [bill for bill in bills if bill["status"] == "direct_debit"]
    assert debited
    for bill in debited:
        assert bill["account.payment_method"] == "direct_debit"
        assert re.fullmatch(r"ES\d\d( \*{4}){4} \d{4}", bill["account.iban_masked"])
    assert {bill["status"] for bill in bills if bill["account.payment_method"] == "direct_debit"} == {
        "direct_debit"
    }


async def test_the_holders_and_users_the_journeys_need(db: None, settings: Settings) -> None:
    await load_demo(settings, today=TODAY)
    accounts_per_holder = await Customer.raw(
        "SELECT c.identity_number, count(a.id) AS accounts, count(x.id) AS access"
        " FROM customer c JOIN account a ON a.customer = c.id LEFT JOIN account_access x ON x.account = a.id"
        " GROUP BY c.identity_number"
    )
    by_number = {row["identity_number"]: row for row in accounts_per_holder}
    big = [row for row in accounts_per_holder if row["accounts"] == 32]
    assert len(big) == 1 and big[0]["identity_number"][0] in "AH" and big[0]["access"] == 0
    registered = {user.holder for user in DEMO_USERS}
    for customer in DEMO_CUSTOMERS:
        assert (by_number[customer.identity_number]["access"] > 0) == (customer.identity_number in registered)
    access = await AccountAccess.select(
        AccountAccess.user._.username, AccountAccess.user._.password_hash, AccountAccess.role
    )
    roles = {(row["user.username"], row["role"]) for row in access}
    assert roles == {("ana.demo", "holder"), ("admin.demo", "administrator")}
    assert sum(row["user.username"] == "admin.demo" for row in access) == 5
    for user in DEMO_USERS:
        stored = next(row["user.password_hash"] for row in access if row["user.username"] == user.username)
        assert stored.startswith("$argon2id$")
        assert PasswordHasher().verify(stored, user.password)


async def test_load_demo_if_empty_loads_only_once(db: None, settings: Settings) -> None:
    assert await load_demo_if_empty(settings) is True
    count = await Bill.count()
    assert await load_demo_if_empty(settings) is False
    assert await Bill.count() == count


async def test_loading_the_demo_again_resets_the_throttles(db: None, settings: Settings) -> None:
    await count_attempt((SIGN_IN_PER_IP, "203.0.113.10"), (LOOKUP_PER_IP, "203.0.113.10"))
    assert await Attempt.count() == 2
    await load_demo(settings)
    assert await Attempt.count() == 0


async def test_describe_demo_tells_what_is_in_the_database(db: None, settings: Settings) -> None:
    assert "portal demo" in await describe_demo(settings)
    await load_demo(settings)
    text = await describe_demo(settings)
    for user in DEMO_USERS:
        assert f"{user.username} / {user.password}" in text
    for customer in DEMO_CUSTOMERS:
        assert customer.identity_number in text
    barcodes = re.findall(r"\b\d{46}\b", text)
    assert len(barcodes) == len(DEMO_CUSTOMERS)
    for barcode in barcodes:
        code = PaymentCode.parse_barcode(barcode)
        assert code.reference in text and code.issuer_suffix in text
        assert await Bill.exists().where(Bill.payment_reference == code.reference, Bill.status == "pending")


async def test_scale_bills_add_exactly_the_count_and_can_run_again(
    db: None, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await load_demo(settings, today=TODAY)
    demo = await Bill.count()
    await load_scale_bills(settings, 2000)
    assert await Bill.count() == demo + 2000
    await load_scale_bills(settings, 2000)
    assert await Bill.count() == demo + 4000
    assert "2000/2000 bills" in capsys.readouterr().err
    [row] = await Bill.raw(
        "SELECT count(DISTINCT payment_reference) AS refs, count(DISTINCT number) AS numbers,"
        " count(*) FILTER (WHERE total_cents <> taxable_cents + vat_cents) AS wrong FROM bill"
    )
    assert row == {"refs": demo + 4000, "numbers": demo + 4000, "wrong": 0}
    await load_demo(settings, today=TODAY)  # reloading the demo leaves the scale data alone
    assert await Bill.count() == demo + 4000
