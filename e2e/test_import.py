"""`portal import` issues a bill end to end: the operator imports a file with a new account of ana.demo's
holder and a bill for it; the worker renders its PDF and sends the "new bill" email; ana signs in and
finds the bill in My bills, and its PDF opens at once, without the "being prepared" page.

The test owns its data: each run imports its own account and bill, the bill already paid and of a period
three years back, so the other journeys' pending bills, documents and download periods stay as they were."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from e2e.conftest import LiveStack
from e2e.pages.accounts import AccountHome, SignInPage
from portal.banking.accounts import account_number

ANA_IDENTITY = "33127845W"


def _line(kind: str, description: str, quantity: str, unit_price: str, amount: str) -> dict[str, str]:
    return dict(kind=kind, description=description, quantity=quantity, unit_price=unit_price, amount=amount)


def _import_file(path: Path, account: str, number: str, reference: str) -> Path:
    today = dt.date.today()
    start = dt.date(today.year - 3, today.month, 1)
    end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1) - dt.timedelta(days=1)
    records = [
        {
            "type": "account", "number": account, "holder": ANA_IDENTITY, "tariff": "Domestic",
            "supply_address": "Calle de la Prueba 1, 46004 Valencia", "payment_method": "none",
            "online_bill": True,
        },
        {
            "type": "bill", "number": number, "account": account, "payment_reference": reference,
            "issue_date": (end + dt.timedelta(days=3)).isoformat(),
            "due_date": (end + dt.timedelta(days=23)).isoformat(),
            "period_start": start.isoformat(), "period_end": end.isoformat(),
            "reading_previous": 5000, "reading_current": 5011,
            "lines": [
                _line("fixed", "Service charge", "1", "6.75", "6.75"),
                _line("consumption", "Water", "11", "0.58", "6.38"),
                _line("vat", "VAT 10%", "1", "1.31", "1.31"),
            ],
            "taxable": "13.13", "vat": "1.31", "total": "14.44",
            "status": "paid", "paid_at": f"{(end + dt.timedelta(days=10)).isoformat()}T09:00:00Z",
        },
    ]  # fmt: skip
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


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
    variant = 1 if javascript else 2
    account, number = account_number(990_000 + variant), f"E2E-IMPORT/{variant}"
    records = _import_file(tmp_path / "bills.jsonl", account, number, f"8000000000{variant}")
    done = local_stack.portal("import", str(records))
    assert done.stdout.splitlines()[-1].startswith("imported 1 bills, 0 customers, 1 accounts"), done.stdout

    message = _email_about(mailbox, number)
    assert message["To"] == "ana.demo@example.com"
    assert message["Subject"].startswith(f"Your new bill {number} for account {account}")
    _wait_for_file(local_stack.log_dir / "files" / "bills" / f"{number}.pdf")

    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in("ana.demo", "demo-password-ana")
    AccountHome(page).expect_signed_in("ana.demo")
    page.get_by_role("link", name="My bills").click()
    expect(page.get_by_role("heading", level=1, name="My bills")).to_be_visible()
    page.get_by_label("Account").select_option(account)
    page.get_by_role("button", name="Show bills").click()
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_have_count(1)
    axe(page)
    row.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Bill {number}")).to_be_visible()
    page.get_by_text("Actions", exact=True).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the bill as PDF").click()
    assert download_info.value.path().read_bytes().startswith(b"%PDF-")
    expect(page.get_by_role("heading", level=1, name="Your PDF is being prepared")).to_have_count(0)
