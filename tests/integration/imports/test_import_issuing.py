"""Issuing: after the import commits, the real worker renders the new bills' PDFs and the real SMTP server
gets one "new bill" email per user and account; a re-run issues nothing again."""

from __future__ import annotations

import asyncio
import io
import threading
from email.message import Message
from typing import Any

from portal.db.tables import Account, OutboxEmail
from portal.infra.storage import Storage
from portal.settings import Settings
from tests.integration.imports.import_steps import run
from tests.unit.imports.import_samples import BILL, CREDIT_BILL, jsonl, record


async def _ana_accounts() -> list[str]:
    rows = await Account.raw(
        "SELECT a.number FROM account a JOIN account_access x ON x.account = a.id"
        ' JOIN portal_user u ON u.id = x."user" WHERE u.username = {} ORDER BY a.number',
        "ana.demo",
    )
    return [row["number"] for row in rows]


def _bill(number: str, account: str, reference: str) -> dict[str, Any]:
    return record(
        BILL, number=number, account=account, payment_reference=reference,
        issue_date="2030-01-03", due_date="2030-01-23", period_start="2029-12-01", period_end="2029-12-31",
    )  # fmt: skip


async def _rendered(storage: Storage, numbers: list[str], within: float = 120) -> None:
    async with asyncio.timeout(within):
        while not all([await storage.exists(f"bills/en/{number}.pdf") for number in numbers]):  # noqa: ASYNC110
            await asyncio.sleep(0.1)


def _text(message: Message) -> str:
    return str(message.get_payload()[0].get_payload(decode=True).decode())


async def test_new_bills_are_rendered_and_announced_once_per_user_and_account(
    demo: None, worker: Any, mailbox: Any, settings: Settings
) -> None:
    first, second = await _ana_accounts()
    numbers = ["FT-2030/1", "FT-2030/2", "FT-2030/3"]
    data = jsonl(
        _bill(numbers[0], first, "90000000001"),
        _bill(numbers[1], first, "90000000002"),
        _bill(numbers[2], second, "90000000003"),
    )
    result = await run(data, settings, render=True)
    assert result.rejections == []
    assert result.outcome.issued is not None and result.outcome.issued.emails == 2
    messages = await mailbox.wait_for(2)
    by_account = {message["Subject"].split("account ")[1].split(" ")[0]: message for message in messages}
    assert sorted(by_account) == [first, second]
    assert all(message["To"] == "ana.demo@example.com" for message in messages)
    assert by_account[first]["Subject"].startswith("Your 2 new bills for account")
    text = _text(by_account[first])
    assert "FT-2030/1" in text and "FT-2030/2" in text and "FT-2030/3" not in text
    assert f"{settings.web.base_url}/sign-in" in text
    assert by_account[second]["Subject"].startswith("Your new bill FT-2030/3")

    storage = Storage(settings.storage)
    await _rendered(storage, numbers)
    before = {number: await storage.read(f"bills/en/{number}.pdf") for number in numbers}

    again = await run(data, settings, render=True)
    assert again.outcome.counts.skipped == 3
    assert again.outcome.issued is not None
    assert (again.outcome.issued.render_jobs, again.outcome.issued.emails) == (0, 0)
    assert await OutboxEmail.count().where(OutboxEmail.template == "new_bills") == 2
    assert {number: await storage.read(f"bills/en/{number}.pdf") for number in numbers} == before
    assert len(mailbox.messages) == 2


async def test_a_credit_bill_is_rendered_and_announced_with_nothing_to_pay(
    demo: None, worker: Any, mailbox: Any, settings: Settings
) -> None:
    first, _ = await _ana_accounts()
    credit = record(
        CREDIT_BILL, number="FT-2030/9", account=first,
        issue_date="2030-01-03", due_date="2030-01-23", period_start="2029-12-01", period_end="2029-12-31",
    )  # fmt: skip
    result = await run(jsonl(credit), settings, render=True)
    assert result.rejections == [] and result.outcome.issued is not None
    [message] = await mailbox.wait_for(1)
    assert message["Subject"].startswith("Your new bill FT-2030/9")
    assert ": -15,08\u00a0€, nothing to pay" in _text(message)
    html = str(message.get_payload()[1].get_payload(decode=True).decode())
    assert "<td>-15,08\u00a0€</td><td>Nothing to pay</td>" in html
    await _rendered(Storage(settings.storage), ["FT-2030/9"])


async def test_no_email_for_an_account_without_the_online_bill_and_no_render_with_no_render(
    demo: None, queue: Any, settings: Settings
) -> None:
    first, _ = await _ana_accounts()
    await Account.update({Account.online_bill: False}).where(Account.number == first)
    result = await run(jsonl(_bill("FT-2030/9", first, "90000000009")), settings, render=False)
    assert result.outcome.issued is not None
    assert (result.outcome.issued.render_jobs, result.outcome.issued.emails) == (0, 0)
    assert await OutboxEmail.count() == 0


async def test_bills_of_a_run_that_was_never_issued_are_issued_by_the_next_run(
    demo: None, worker: Any, mailbox: Any, settings: Settings, monkeypatch: Any
) -> None:
    import portal.imports.run

    first, _ = await _ana_accounts()
    data = jsonl(_bill("FT-2030/5", first, "90000000005"))

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the queue is down")

    with monkeypatch.context() as patched:
        patched.setattr(portal.imports.run.issuing, "issue", crash)
        first = await run(data, settings, render=True)
    assert first.outcome.not_issued and first.outcome.exit_status == 2
    assert await OutboxEmail.count() == 0
    again = await run(data, settings, render=True)  # the operator runs the file again
    assert again.outcome.counts.skipped == 1
    assert again.outcome.issued is not None and again.outcome.issued.emails == 1
    [message] = await mailbox.wait_for(1)
    assert message["Subject"].startswith("Your new bill FT-2030/5")
    await _rendered(Storage(settings.storage), ["FT-2030/5"])


class _Paused(io.BytesIO):
    """A file whose reading waits after its first part until `go` is set (a slow network share; outside
    the product: a stand-in for the disk)."""

    def __init__(self, head: bytes, tail: bytes) -> None:
        super().__init__(head + tail)
        self.head = len(head)
        self.go = threading.Event()

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.head:
            self.go.wait(60)
        elif size is None or size < 0 or self.tell() + size > self.head:
            size = self.head - self.tell()
        return super().read(size)


async def test_a_run_still_importing_is_issued_by_itself_not_by_a_run_that_ends_meanwhile(
    demo: None, worker: Any, mailbox: Any, settings: Settings, monkeypatch: Any
) -> None:
    # A run that ended while another was still reading issued the other's bills so far and marked it
    # issued: the other's later bills then had no PDF queued and no email.
    import portal.imports.run
    from portal.db.tables import Bill
    from portal.imports.run import Options, run_import

    monkeypatch.setattr(portal.imports.run, "BATCH", 2)
    first, second = await _ana_accounts()
    slow = _Paused(
        jsonl(_bill("FT-2030/11", first, "90000000011"), _bill("FT-2030/12", first, "90000000012")),
        jsonl(_bill("FT-2030/13", first, "90000000013")),
    )
    reading = asyncio.create_task(run_import(slow, settings, Options("slow.jsonl", "tester", render=True)))
    try:
        async with asyncio.timeout(60):
            while not await Bill.exists().where(Bill.number == "FT-2030/12"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        meanwhile = await run(jsonl(_bill("FT-2030/21", second, "90000000021")), settings, render=True)
        assert meanwhile.outcome.issued is not None and meanwhile.outcome.issued.emails == 1
    finally:
        slow.go.set()
        outcome = await reading
    assert outcome.issued is not None and outcome.issued.emails == 1
    messages = await mailbox.wait_for(2)
    by_account = {message["Subject"].split("account ")[1].split(" ")[0]: message for message in messages}
    assert by_account[first]["Subject"].startswith("Your 3 new bills for account")
    await _rendered(Storage(settings.storage), ["FT-2030/11", "FT-2030/12", "FT-2030/13", "FT-2030/21"])
