"""`portal import` issues a bill end to end: the operator imports a file with a new bill for ana.demo's
account; the worker renders its PDF and sends the "new bill" email; ana signs in and finds the bill in
My bills, and its PDF opens at once, without the "being prepared" page. Each run imports its own bill."""

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

ANA_ACCOUNT = "0001000413"


def _line(kind: str, description: str, quantity: str, unit_price: str, amount: str) -> dict[str, str]:
    return dict(kind=kind, description=description, quantity=quantity, unit_price=unit_price, amount=amount)


def _bill_file(path: Path, number: str, reference: str) -> Path:
    """A bill of last month, issued today: the newest in My bills whatever the day the tests run."""
    today = dt.date.today()
    end = today.replace(day=1) - dt.timedelta(days=1)
    bill = {
        "type": "bill", "number": number, "account": ANA_ACCOUNT, "payment_reference": reference,
        "issue_date": today.isoformat(), "due_date": (today + dt.timedelta(days=20)).isoformat(),
        "period_start": end.replace(day=1).isoformat(), "period_end": end.isoformat(),
        "reading_previous": 5000, "reading_current": 5011,
        "lines": [
            _line("fixed", "Service charge", "1", "6.75", "6.75"),
            _line("consumption", "Water", "11", "0.58", "6.38"),
            _line("vat", "VAT 10%", "1", "1.31", "1.31"),
        ],
        "taxable": "13.13", "vat": "1.31", "total": "14.44", "status": "pending",
    }  # fmt: skip
    path.write_text(json.dumps(bill) + "\n", encoding="utf-8")
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
    number = f"E2E-IMPORT/{1 if javascript else 2}"
    done = local_stack.portal(
        "import", str(_bill_file(tmp_path / "bills.jsonl", number, f"8000000000{1 if javascript else 2}"))
    )
    assert done.stdout.splitlines()[-1].startswith("imported 1 bills"), done.stdout

    message = _email_about(mailbox, number)
    assert message["To"] == "ana.demo@example.com"
    assert message["Subject"].startswith(f"Your new bill {number} for account {ANA_ACCOUNT}")
    _wait_for_file(local_stack.log_dir / "files" / "bills" / f"{number}.pdf")

    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in("ana.demo", "demo-password-ana")
    AccountHome(page).expect_signed_in("ana.demo")
    page.get_by_role("link", name="My bills").click()
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
