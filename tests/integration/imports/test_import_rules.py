"""`portal import` on the real database: what is written, re-imports, immutability, references."""

from __future__ import annotations

import json
from typing import Any

from portal.banking.accounts import account_number
from portal.db.tables import Account, Bill, Customer
from portal.settings import Settings
from tests.integration.imports.import_steps import run, runs, snapshot
from tests.unit.imports.import_samples import (
    ACCOUNT,
    ACCOUNT_RECORD,
    BILL,
    COMPANY,
    CREDIT_BILL,
    CUSTOMER,
    IBAN,
    PAYMENT,
    PERSON,
    ZERO_BILL,
    FailingDisk,
    jsonl,
    record,
)

GOOD = jsonl(CUSTOMER, ACCOUNT_RECORD, BILL)


async def test_a_file_is_loaded_and_its_run_recorded(db: None, settings: Settings) -> None:
    result = await run(
        jsonl(
            record(CUSTOMER, identity=f"{PERSON[:4]}-{PERSON[4:]}".lower(), email="lucia@example.com"),
            record(ACCOUNT_RECORD, payment_method="direct_debit", iban=IBAN, online_bill=True),
            BILL,
        ),
        settings,
    )
    assert result.rejections == []
    assert result.summary == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 0"
    assert result.outcome.exit_status == 0
    customer = await Customer.select().first()
    assert customer is not None
    assert (customer["identity_number"], customer["identity_kind"], customer["kind"]) == (
        PERSON,
        "DNI",
        "person",
    )
    account = await Account.select().first()
    assert account is not None
    assert account["iban_masked"] == "ES91 **** **** **** **** 1332"
    assert IBAN.replace(" ", "") not in json.dumps(account, default=str)
    assert account["online_bill"] is True
    bill = await Bill.select().first()
    assert bill is not None
    assert (bill["total_cents"], bill["taxable_cents"], bill["vat_cents"], bill["status"]) == (
        1508,
        1371,
        137,
        "pending",
    )
    assert bill["payment_reference"][:11] == "02026000101"
    assert bill["payment_identification"] == ACCOUNT[-6:]
    [import_run] = await runs()
    assert bill["import_run"] == import_run["id"]
    assert import_run["run_by"] == "tester" and import_run["finished_at"] is not None
    assert len(import_run["sha256"]) == 64 and import_run["rejected"] == 0


async def test_importing_the_same_file_again_changes_nothing_and_says_so(
    db: None, settings: Settings
) -> None:
    data = jsonl(CUSTOMER, ACCOUNT_RECORD, BILL, PAYMENT)
    await run(data, settings)
    before = await snapshot()
    again = await run(data, settings)
    assert again.summary == "imported 0 bills, 0 customers, 0 accounts, 0 payments; skipped 4; rejected 0"
    assert again.outcome.counts.changed == 0
    assert await snapshot() == before
    first, second = await runs()
    assert first["sha256"] == second["sha256"]


async def test_a_changed_customer_and_account_are_updated(db: None, settings: Settings) -> None:
    await run(jsonl(CUSTOMER, record(ACCOUNT_RECORD, online_bill=True)), settings)
    result = await run(
        jsonl(record(CUSTOMER, name="Lucía Fernández Gil"), record(ACCOUNT_RECORD, tariff="Commercial")),
        settings,
    )
    assert result.summary == (
        "imported 0 bills, 1 customers (1 updated), 1 accounts (1 updated), 0 payments; skipped 0; rejected 0"
    )
    account = await Account.select(Account.tariff, Account.online_bill).first()
    # online_bill absent: the account keeps what it had (customers change it in the portal too).
    assert account == {"tariff": "Commercial", "online_bill": True}


async def test_a_bill_is_immutable(db: None, settings: Settings) -> None:
    await run(GOOD, settings)
    before = await snapshot()
    changed = record(BILL, reading_current=1533, consumption_m3=12)
    result = await run(jsonl(changed), settings)
    assert result.rejections == [
        "line 1: number: bill FA-2026/000101 exists with other content:"
        " bills are immutable: issue a corrective bill"
    ]
    assert result.outcome.exit_status == 1
    assert await snapshot() == before


async def test_a_credit_bill_is_imported_without_a_code_and_skipped_when_imported_again(
    db: None, settings: Settings
) -> None:
    """A total of 0 or less: stored as "credit" whatever the file says, with no payment code; a reference
    the file gives is not kept, and a re-import compares it as stored (skipped, not "other content")."""
    paid = record(CREDIT_BILL, status="paid", paid_at="2026-11-10T09:00:00Z", payment_reference="00000000777")
    data = jsonl(CUSTOMER, ACCOUNT_RECORD, BILL, paid, record(ZERO_BILL, status="direct_debit"))
    result = await run(data, settings)
    assert result.rejections == []
    assert result.summary == "imported 3 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 0"
    bills = await Bill.select(
        Bill.number, Bill.status, Bill.total_cents, Bill.payment_suffix, Bill.payment_reference,
        Bill.payment_identification,
    ).order_by(Bill.number)  # fmt: skip
    assert [bill["payment_reference"] is None for bill in bills] == [False, True, True]
    assert bills[1:] == [
        {"number": "FA-2026/000102", "status": "credit", "total_cents": -1508, "payment_suffix": None,
         "payment_reference": None, "payment_identification": None},
        {"number": "FA-2026/000103", "status": "credit", "total_cents": 0, "payment_suffix": None,
         "payment_reference": None, "payment_identification": None},
    ]  # fmt: skip
    before = await snapshot()
    again = await run(data, settings)
    assert again.summary == "imported 0 bills, 0 customers, 0 accounts, 0 payments; skipped 5; rejected 0"
    assert await snapshot() == before
    changed = await run(jsonl(record(paid, issue_date="2026-11-04")), settings)
    assert changed.rejections == [
        "line 1: number: bill FA-2026/000102 exists with other content:"
        " bills are immutable: issue a corrective bill"
    ]


async def test_a_bill_for_an_unknown_account(db: None, settings: Settings) -> None:
    result = await run(jsonl(BILL), settings)
    assert result.rejections == [
        f"line 1: account: no account {ACCOUNT} in the portal or earlier in the file"
    ]
    assert await Bill.count() == 0


async def test_an_account_for_an_unknown_holder(db: None, settings: Settings) -> None:
    result = await run(jsonl(ACCOUNT_RECORD), settings)
    assert result.rejections == [f"line 1: holder: no customer {PERSON} in the portal or earlier in the file"]
    assert await Account.count() == 0


async def test_an_account_never_moves_to_another_holder(db: None, settings: Settings) -> None:
    await run(GOOD, settings)
    other = record(CUSTOMER, identity=COMPANY, kind="company", name="Talleres Turia, S.L.")
    result = await run(jsonl(other, record(ACCOUNT_RECORD, holder=COMPANY)), settings)
    assert result.rejections == [
        f"line 2: holder: account {ACCOUNT} belongs to {PERSON}: it never moves to another holder"
    ]
    account = await Account.select(Account.customer._.identity_number.as_alias("holder")).first()
    assert account == {"holder": PERSON}


async def test_lines_referring_to_rejected_records_are_rejected_with_that_reason(
    db: None, settings: Settings
) -> None:
    bad_account = record(ACCOUNT_RECORD, supply_address="")  # rejected by its shape: its key still counts
    result = await run(jsonl(CUSTOMER, bad_account, BILL, PAYMENT), settings)
    assert result.rejections[1:] == [
        f"line 3: account: account {ACCOUNT} was rejected on line 2",
        "line 4: bill: bill FA-2026/000101 was rejected on line 3",
    ]
    assert await Bill.count() == 0


async def test_lines_referring_to_a_rejected_record_the_portal_has_are_rejected_too(
    db: None, settings: Settings
) -> None:
    # The billing system moved the account to a new holder: the move is refused, and the new holder's
    # bills must not go into the old holder's My bills. A customer rejected after a line that uses it
    # does not reject that line; one rejected, then given again well, is known again.
    await run(jsonl(CUSTOMER, ACCOUNT_RECORD), settings)
    new_holder = record(CUSTOMER, identity=COMPANY, kind="company", name="Talleres Turia, S.L.")
    second = account_number(700003)
    result = await run(
        jsonl(
            new_holder,
            record(ACCOUNT_RECORD, holder=COMPANY),
            BILL,
            record(ACCOUNT_RECORD, number=second),
            record(CUSTOMER, email="not an address"),
            record(ACCOUNT_RECORD, number=second, tariff="Reduced"),
            CUSTOMER,
            record(ACCOUNT_RECORD, number=second, tariff="Social"),
        ),
        settings,
    )
    assert result.rejections == [
        f"line 2: holder: account {ACCOUNT} belongs to {PERSON}: it never moves to another holder",
        f"line 3: account: account {ACCOUNT} was rejected on line 2",
        "line 5: email: 'not an address' is not an email address",
        f"line 6: holder: customer {PERSON} was rejected on line 5",
    ]
    assert await Bill.count() == 0
    tariff = await Account.select(Account.tariff).where(Account.number == second).first()
    assert tariff == {"tariff": "Social"}


async def test_values_nested_thousands_deep_reject_their_line_alone(db: None, settings: Settings) -> None:
    # msgspec skips such a value recursively: its RecursionError stopped the run with a traceback.
    deep = "[" * 100_000 + "]" * 100_000
    data = (
        jsonl(CUSTOMER)
        + f'{{"nested": {deep}, "type": "customer"}}\n'.encode()
        + f'{{"type": "customer", "identity": "{COMPANY}", "email": {deep}}}\n'.encode()
        + jsonl(ACCOUNT_RECORD, BILL)
    )
    result = await run(data, settings)
    assert result.rejections == [
        "line 2: line: not valid JSON for this format (values nested too deeply)",
        "line 3: email: Expected str, got array",
    ]
    assert result.summary == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 2"


async def test_a_reference_to_a_customer_rejected_by_its_document(db: None, settings: Settings) -> None:
    wrong_kind = record(CUSTOMER, kind="company")  # a DNI is a person's: rejected, its key is known
    result = await run(jsonl(wrong_kind, ACCOUNT_RECORD), settings)
    assert result.rejections == [
        "line 1: kind: a DNI belongs to a person",
        f"line 2: holder: customer {PERSON} was rejected on line 1",
    ]


async def test_bad_lines_never_stop_good_ones_nor_are_half_loaded(
    db: None, settings: Settings, monkeypatch: Any
) -> None:
    import portal.imports.run

    monkeypatch.setattr(portal.imports.run, "BATCH", 2)  # references across batches, too
    bills = [record(BILL, number=f"FA-2026/00010{n}") for n in range(1, 6)]
    bills[2] = record(bills[2], total="99.99")
    data = (
        jsonl(CUSTOMER, ACCOUNT_RECORD)
        + b"not json\n"
        + jsonl(*bills[:3])
        + '{"type": "customer", "name": "Jos\u00e9"}\n'.encode("latin-1")
        + jsonl(*bills[3:])
        + b'{"type": "bill", "number": "FA-'
    )
    result = await run(data, settings)
    assert [r.split(":")[0] + ":" + r.split(":")[1] for r in result.rejections] == [
        "line 3: line",
        "line 6: total",
        "line 7: line",
        "line 10: line",
    ]
    assert (
        result.rejections[-1] == "line 10: line: the file ends in the middle of this line: was it cut short?"
    )
    assert "not UTF-8" in result.rejections[2]
    assert result.summary == "imported 4 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 4"
    assert sorted(row["number"] for row in await Bill.select(Bill.number)) == [
        "FA-2026/000101", "FA-2026/000102", "FA-2026/000104", "FA-2026/000105",
    ]  # fmt: skip


async def test_a_batch_checked_ahead_changes_neither_the_reports_order_nor_their_words(
    db: None, settings: Settings, monkeypatch: Any
) -> None:
    import portal.imports.run

    # The second batch is checked while the first is written: its rejected account (line 3) must not
    # be cited by, nor reported before, the first batch's bill for that account (line 2).
    monkeypatch.setattr(portal.imports.run, "BATCH", 2)
    no_iban = record(ACCOUNT_RECORD, payment_method="direct_debit")
    result = await run(jsonl(CUSTOMER, BILL, no_iban, BILL), settings)
    assert result.rejections == [
        f"line 2: account: no account {ACCOUNT} in the portal or earlier in the file",
        "line 3: iban: required when payment_method is direct_debit",
        f"line 4: account: account {ACCOUNT} was rejected on line 3",
    ]


async def test_an_empty_file_imports_nothing(db: None, settings: Settings) -> None:
    result = await run(b"", settings)
    assert result.summary == "imported 0 bills, 0 customers, 0 accounts, 0 payments; skipped 0; rejected 0"
    assert result.outcome.exit_status == 0


async def test_a_dry_run_rejects_what_a_real_run_would_and_writes_nothing(
    db: None, settings: Settings
) -> None:
    data = jsonl(CUSTOMER, ACCOUNT_RECORD, BILL, record(BILL, number="FA-2026/000102", total="1.00"), PAYMENT)
    dry = await run(data, settings, dry_run=True)
    assert await snapshot() == {"customers": [], "accounts": [], "bills": []}
    assert await runs() == []
    real = await run(data, settings)
    assert dry.rejections == real.rejections and len(real.rejections) == 1
    assert dry.summary == real.summary


async def test_a_payment_reference_already_used_by_another_bill(db: None, settings: Settings) -> None:
    await run(GOOD, settings)
    result = await run(jsonl(record(BILL, number="FA-2026-000101")), settings)  # the same digits
    assert result.rejections == ["line 1: payment_reference: 02026000101 is bill FA-2026/000101's already"]


async def test_two_imports_at_once_take_turns(db: None, settings: Settings) -> None:
    import asyncio

    data = jsonl(CUSTOMER, ACCOUNT_RECORD, BILL, PAYMENT)
    first, second = await asyncio.gather(run(data, settings), run(data, settings))
    assert first.rejections == second.rejections == []
    assert sorted([first.outcome.counts.changed, second.outcome.counts.changed]) == [0, 4]
    assert await Bill.count() == 1


async def test_a_customer_given_twice_is_written_as_the_later_line_says(db: None, settings: Settings) -> None:
    result = await run(jsonl(CUSTOMER, record(CUSTOMER, name="Lucía Fernández Gil")), settings)
    assert result.summary == "imported 0 bills, 1 customers, 0 accounts, 0 payments; skipped 1; rejected 0"
    assert await Customer.select(Customer.name).first() == {"name": "Lucía Fernández Gil"}


async def test_a_new_account_of_a_registered_holder_is_seen_by_its_users(
    demo: None, settings: Settings
) -> None:
    from portal.db.tables import AccountAccess
    from portal.demo.generate import ANA

    number = account_number(700002)
    result = await run(jsonl(record(ACCOUNT_RECORD, number=number, holder=ANA.identity_number)), settings)
    assert result.summary == "imported 0 bills, 0 customers, 1 accounts, 0 payments; skipped 0; rejected 0"
    rows = await AccountAccess.select(
        AccountAccess.user._.username.as_alias("username"), AccountAccess.role
    ).where(AccountAccess.account._.number == number)
    assert rows == [{"username": "ana.demo", "role": "holder"}]


async def test_a_file_that_cannot_be_read_on_stops_with_exit_2_keeping_the_lines_before(
    db: None, settings: Settings, monkeypatch: Any
) -> None:
    import portal.imports.run
    from portal.imports.run import Options, describe, history, run_import

    monkeypatch.setattr(portal.imports.run, "BATCH", 2)
    bills = [record(BILL, number=f"FA-2026/00010{n}") for n in range(1, 5)]
    data = jsonl(CUSTOMER, ACCOUNT_RECORD, *bills)
    good = len(jsonl(CUSTOMER, ACCOUNT_RECORD, *bills[:3])) + 10  # the disk fails inside line 6
    outcome = await run_import(FailingDisk(data, good), settings, Options("bills.jsonl", "tester"))
    assert outcome.exit_status == 2
    assert outcome.read_error is not None and outcome.read_error.line == 6
    assert outcome.counts.summary() == (
        "imported 3 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 0"
    )
    assert await Bill.count() == 3
    [run_row] = await history()
    assert run_row["read_error"] == ("line 6: the file cannot be read from this line on (Input/output error)")
    assert describe(run_row).splitlines()[-1] == (
        "    reading stopped at line 6: the file cannot be read from this line on (Input/output error);"
        " the lines before it were imported"
    )


async def test_a_10_mb_line_is_rejected_by_its_number_and_the_lines_around_it_load(
    db: None, settings: Settings
) -> None:
    huge = json.dumps(record(CUSTOMER, name="x" * (10 * 1024 * 1024))).encode() + b"\n"
    result = await run(jsonl(CUSTOMER, ACCOUNT_RECORD) + huge + jsonl(BILL), settings)
    assert result.rejections == ["line 3: line: longer than 1024 KiB: not read"]
    assert result.summary == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 1"
    assert await Customer.select(Customer.name).first() == {"name": CUSTOMER["name"]}


async def test_a_control_character_in_free_text_rejects_its_line_alone(db: None, settings: Settings) -> None:
    # A NUL cannot be stored by PostgreSQL: it used to fail the whole batch with a traceback (the dry run
    # had passed it), and the lines around it were lost with it.
    lines = [dict(line) for line in BILL["lines"]]
    lines[0]["description"] = "Service charge\u0000"
    data = jsonl(
        CUSTOMER,
        record(ACCOUNT_RECORD, supply_address="Calle Mayor 1\n2.º B"),
        ACCOUNT_RECORD,
        record(BILL, lines=lines),
        record(BILL, number="FA-2026/000102"),
    )
    dry = await run(data, settings, dry_run=True)
    result = await run(data, settings)
    reason = "has a control character (such as NUL, a tab or a line break): not allowed"
    assert (
        result.rejections
        == dry.rejections
        == [
            f"line 2: supply_address: {reason}",
            f"line 4: lines[0].description: {reason}",
        ]
    )
    assert result.summary == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 2"
    assert [row["number"] for row in await Bill.select(Bill.number)] == ["FA-2026/000102"]


async def test_a_placeholder_date_rejects_its_line_alone(db: None, settings: Settings) -> None:
    # 9999-12-31 was stored as PostgreSQL's infinity; a payment time in year 1 failed its whole batch.
    data = jsonl(
        CUSTOMER,
        ACCOUNT_RECORD,
        record(BILL, number="FA-2026/000201", due_date="9999-12-31"),
        record(BILL, number="FA-2026/000202", period_start="0001-01-01"),
        record(BILL, number="FA-2026/000203", status="paid", paid_at="0001-01-01T00:30:00+01:00"),
        BILL,
        record(PAYMENT, paid_at="0001-01-01T00:30:00+01:00"),
    )
    result = await run(data, settings)
    assert result.rejections == [
        "line 3: due_date: 9999-12-31 is not between 1900-01-01 and 2999-12-31",
        "line 4: period_start: 0001-01-01 is not between 1900-01-01 and 2999-12-31",
        "line 5: paid_at: 0001-01-01 is not between 1900-01-01 and 2999-12-31",
        "line 7: paid_at: 0001-01-01 is not between 1900-01-01 and 2999-12-31",
    ]
    assert result.summary == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 4"
    assert [row["number"] for row in await Bill.select(Bill.number)] == ["FA-2026/000101"]


async def test_rejections_are_reported_in_file_order_within_a_batch(db: None, settings: Settings) -> None:
    # Line 1 is rejected against the database (no such account), line 2 by its own checks: the report
    # (and so "the first 100" shown) follows the file, not the order the two kinds were found in.
    result = await run(jsonl(BILL, record(CUSTOMER, nmae="typo")), settings)
    assert result.rejections == [
        f"line 1: account: no account {ACCOUNT} in the portal or earlier in the file",
        "line 2: nmae: unknown field (check its spelling against the format)",
    ]
