"""`portal import` issues a bill end to end: the operator imports a file with a new account of a holder
whose user registered and a bill for it; the worker renders its PDF and sends the "new bill" email; the
user signs in and finds the bill in My bills, and its PDF opens at once, without the "being prepared"
page.

The test owns its data: a new customer and user (`local_stack.customer`), then the file's account and bill
take the serials after theirs (the next `portal demo customer` continues after them), so no other test
sees them and the test passes in any order and alone."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from e2e.conftest import LiveStack
from e2e.data import FreshCustomer
from e2e.pages.accounts import AccountHome, SignInPage
from portal.banking.accounts import account_number


def _line(kind: str, description: str, quantity: str, unit_price: str, amount: str) -> dict[str, str]:
    return dict(kind=kind, description=description, quantity=quantity, unit_price=unit_price, amount=amount)


LONG_WORD = "MeterReference" + "0123456789" * 15
"""A description the import allows (200 characters, no space): it widened the bill's page past the screen."""


CHARGES: dict[str, Any] = {
    "lines": [
        _line("fixed", "Service charge", "1", "6.75", "6.75"),
        _line("consumption", "Water", "11", "0.58", "6.38"),
        _line("other", LONG_WORD, "1", "0", "0.00"),
        _line("vat", "VAT 10%", "1", "1.31", "1.31"),
    ],
    "taxable": "13.13", "vat": "1.31", "total": "14.44",
}  # fmt: skip
CREDIT: dict[str, Any] = {
    "lines": [
        _line("other", "Correction of an earlier bill", "1", "-13.13", "-13.13"),
        _line("vat", "VAT 10%", "1", "-1.31", "-1.31"),
    ],
    "taxable": "-13.13", "vat": "-1.31", "total": "-14.44",
}  # fmt: skip
"""A corrective bill that gives 14.44 € back: a credit bill, with nothing to pay."""


def _import_file(
    path: Path, holder: str, account: str, number: str, charges: dict[str, Any] = CHARGES
) -> Path:
    """A new account of the holder and its first bill, of last month, due in about two weeks, with
    `charges` (its lines and totals)."""
    today = dt.date.today()
    end = today - dt.timedelta(days=8)
    start = end - dt.timedelta(days=30)
    records = [
        {
            "type": "account", "number": account, "holder": holder, "tariff": "Domestic",
            "supply_address": "Calle de la Prueba 1, 46004 Valencia", "payment_method": "none",
            "online_bill": True,
        },
        {
            "type": "bill", "number": number, "account": account,
            "issue_date": (end + dt.timedelta(days=1)).isoformat(),
            "due_date": (end + dt.timedelta(days=21)).isoformat(),
            "period_start": start.isoformat(), "period_end": end.isoformat(),
            "reading_previous": 5000, "reading_current": 5011, **charges, "status": "pending",
        },
    ]  # fmt: skip
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def _next_account_and_bill(customer: FreshCustomer) -> tuple[str, str]:
    """The account number and bill number after the customer's own, numbered as the demo numbers them
    (`portal demo customer` hands out the serials after every one in the database, so after these too)."""
    [own] = customer.accounts
    account_serial = int(own.number[:9]) + 1
    bill_serial = int(own.bills[-1].number.removeprefix("FA")) + 1
    return account_number(account_serial), f"FA{bill_serial:011d}"


def _email_about(mailbox: Any, number: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.messages:
            if number in message["Subject"]:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no email about bill {number}")


def _wait_for_file(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} was never rendered"
        time.sleep(0.1)


def test_an_imported_bill_is_emailed_listed_and_its_pdf_ready(
    page: Page,
    base_url: str,
    javascript: bool,
    axe: Callable[[Page], None],
    local_stack: LiveStack,
    mailbox: Any,
    tmp_path: Path,
) -> None:
    customer = local_stack.customer(pending=(0,), user="private")
    user = customer.signs_in_as
    account, number = _next_account_and_bill(customer)
    records = _import_file(tmp_path / "bills.jsonl", customer.identity, account, number)
    done = local_stack.portal("import", str(records))
    assert done.stdout.splitlines()[-1].startswith("imported 1 bills, 0 customers, 1 accounts"), done.stdout

    message = _email_about(mailbox, number)
    assert message["To"] == user.email
    assert message["Subject"].startswith(f"Your new bill {number} for account {account}")
    _wait_for_file(local_stack.log_dir / "files" / "bills" / "en" / f"{number}.pdf")

    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    AccountHome(page).expect_signed_in(user.username)
    page.get_by_role("link", name="My bills").click()
    expect(page.get_by_role("heading", level=1, name="My bills")).to_be_visible()
    page.get_by_label("Account").select_option(account)
    page.get_by_role("button", name="Show bills").click()
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_have_count(1)
    axe(page)
    row.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Bill {number}")).to_be_visible()
    expect(page.get_by_text(LONG_WORD)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.get_by_text("Actions", exact=True).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the bill as PDF").click()
    assert download_info.value.path().read_bytes().startswith(b"%PDF-")
    expect(page.get_by_role("heading", level=1, name="Your PDF is being prepared")).to_have_count(0)


def test_an_imported_credit_bill_is_listed_with_nothing_to_pay_and_no_payment(
    page: Page,
    base_url: str,
    javascript: bool,
    axe: Callable[[Page], None],
    local_stack: LiveStack,
    tmp_path: Path,
) -> None:
    """A bill of -14.44 € (the file says "pending"): My bills' status "Nothing to pay" finds it with its
    negative amount, and its page offers no payment."""
    customer = local_stack.customer(pending=(0,), user="private")
    user = customer.signs_in_as
    account, number = _next_account_and_bill(customer)
    records = _import_file(tmp_path / "credit.jsonl", customer.identity, account, number, CREDIT)
    done = local_stack.portal("import", "--no-render", str(records))
    assert done.stdout.splitlines()[-1].startswith("imported 1 bills, 0 customers, 1 accounts"), done.stdout

    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    AccountHome(page).expect_signed_in(user.username)
    page.get_by_role("link", name="My bills").click()
    page.get_by_label("Status").select_option(label="Nothing to pay")
    page.get_by_role("button", name="Show bills").click()
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Nothing to pay")
    expect(row).to_contain_text("-14,44")
    expect(page.locator(".pending-bills__item").filter(has_text=number)).to_have_count(0)
    axe(page)
    row.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Bill {number}")).to_be_visible()
    expect(page.locator(".bill-status")).to_contain_text("Nothing to pay")
    expect(page.locator(".bill-status")).to_contain_text("-14,44")
    expect(page.get_by_text("Amount in your favour: 14,44")).to_be_visible()
    expect(page.get_by_role("link", name="Online payment")).to_have_count(0)
    expect(page.get_by_text("Reference", exact=True)).to_have_count(0)
    axe(page)
