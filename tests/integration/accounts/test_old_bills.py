"""After `portal access remove`, the bills of the accounts it took away that were issued up to that day no
longer prove them: the person removed still holds the bill they used, and must not come straight back with
it ("Add an account", or a new registration). Only a later bill does, and `portal access allow-old-bills`
lets the old ones prove the account again, for a holder who calls in with only one of them."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Litestar

from portal import clock, i18n
from portal.db.tables import Account, Attempt, Bill, RegistrationDraft, User
from portal.settings import Settings
from portal.templating import format_day
from tests.conftest import other_transaction, submit
from tests.integration.accounts.helpers import (
    ADMIN,
    OTHER_IP,
    audit_events,
    browser,
    complete_registration,
    error_messages,
    field_value,
    heading,
    register_until_check,
    start_registration,
)
from tests.integration.accounts.test_access_command import (
    ANA_BILL,
    NOWHERE,
    portal_on,
    remove_in_the_background,
)
from tests.integration.accounts.test_administrator_accounts import PALMERAS, access_count
from tests.integration.accounts.test_bill_details_check import check_bill
from tests.integration.imports.import_steps import run
from tests.processes import run_portal
from tests.steps import field_errors, sign_in
from tests.unit.imports.import_samples import BILL, jsonl, record

PALMERAS_BILL = {  # the latest bill of Las Palmeras' first account (README, "Demo data")
    "identity": "H46528733",
    "account_number": "0001000439",
    "bill_number": "FA00000001075",
    "amount": "14,69",
}
PHONE = "900 000 000"  # CUSTOMER_SERVICE_PHONE's default


def old_bill(day: dt.date) -> str:
    """The message for a bill issued up to `day`, in English: the day as every page writes one."""
    return (
        "This bill can no longer be used to prove this account. Use a bill issued after"
        f" {day.day} {day:%b} {day.year}, or call us on {PHONE}"
    )


async def cut_offs() -> dict[str, dt.date]:
    """Every account whose older bills no longer prove it, and up to which day."""
    rows = await Account.select(Account.number, Account.bills_prove_after).where(
        Account.bills_prove_after.is_not_null()
    )
    return {row["number"]: row["bills_prove_after"] for row in rows}


async def bill_check_attempts() -> int:
    """The bill checks counted against their throttles."""
    return await Attempt.count().where(Attempt.key.like("billcheck:%"))


async def latest_bill_details(identity: str, number: str) -> dict[str, str]:
    """What registration asks for, from the account's latest bill (as the demo prints it)."""
    account = await Account.select(Account.id).where(Account.number == number).first()
    assert account is not None
    bill = await Bill.select().where(Bill.account == account["id"]).order_by(Bill.id, ascending=False).first()
    assert bill is not None
    cents = abs(bill["total_cents"])
    return {
        "identity": identity,
        "account_number": number,
        "bill_number": bill["number"],
        "amount": f"{cents // 100},{cents % 100:02d}",
    }


def new_bill(number: str, account: str, issued: dt.date) -> bytes:
    """A bill of 15,08 € the billing system issued on `issued`, as `portal import` takes it."""
    due = issued + dt.timedelta(days=20)
    return jsonl(
        record(BILL, number=number, account=account, issue_date=issued.isoformat(), due_date=due.isoformat())
    )


def noon(day: dt.date, settings: Settings) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), ZoneInfo(settings.locale.timezone))


async def test_the_administrator_removed_cannot_add_the_account_again_with_the_bill_they_hold(
    client: Any, demo: None, settings: Settings
) -> None:
    today = clock.today()
    done = portal_on(today, "access", "remove", "admin.demo", "0001000439")
    assert done.returncode == 0, done.stderr
    assert await cut_offs() == {"0001000439": today}  # that account alone: the others stay theirs
    listed = run_portal("access", "list", "0001 000 439").stdout.splitlines()
    assert listed == [
        f"Bills issued up to {today:%Y-%m-%d} no longer prove account 0001000439"
        " (portal access allow-old-bills lifts this)",
        "0 users can see account 0001000439 (holder Comunidad de Propietarios Edificio Las Palmeras)",
    ]

    await sign_in(client, ADMIN)
    refused = await submit(client, "/account/accounts/add", PALMERAS_BILL)
    assert refused.status_code == 422
    assert field_errors(refused.text) == {"bill_number": old_bill(today)}  # next to the bill number
    assert error_messages(refused.text) == [old_bill(today)]
    assert {name: field_value(refused.text, name) for name in PALMERAS_BILL} == PALMERAS_BILL  # kept
    assert await access_count("admin.demo") == len(PALMERAS) - 1
    [event] = await audit_events("bill_check.superseded")
    assert event["detail"] == {"account_number": "0001000439", "bills_prove_after": today.isoformat()}
    assert await audit_events("bill_check.failed") == [] and await audit_events("account.added") == []
    # Right details, so no guess: not counted against the account's limit, which the person removed,
    # trying again and again, would otherwise use up for the holder and their newer bill.
    assert await bill_check_attempts() == 0

    # A bill issued on the day of the removal proves nothing either; one issued the next day does.
    tomorrow = today + dt.timedelta(days=1)
    with clock.frozen_at(noon(tomorrow, settings)):
        bills = new_bill("FA00000099971", "0001000439", today)
        imported = await run(bills + new_bill("FA00000099972", "0001000439", tomorrow), settings)
        assert imported.summary.startswith("imported 2 bills"), imported.rejections
        await sign_in(client, ADMIN)  # the session of the day before has gone idle
        same_day = {**PALMERAS_BILL, "bill_number": "FA00000099971", "amount": "15,08"}
        refused = await submit(client, "/account/accounts/add", same_day)
        assert field_errors(refused.text) == {"bill_number": old_bill(today)}
        added = await submit(client, "/account/accounts/add", {**same_day, "bill_number": "FA00000099972"})
        assert added.status_code == 303, error_messages(added.text)
        assert added.headers["location"] == "/account?added=0001000439"
    assert await access_count("admin.demo") == len(PALMERAS)


async def test_after_the_holders_own_user_is_removed_an_old_bill_registers_nobody_until_it_is_allowed(
    client: Any, demo: None
) -> None:
    today = clock.today()
    done = portal_on(today, "access", "remove", "ana.demo", "0001000413", "--all-accounts")
    assert done.returncode == 0, done.stderr
    assert await cut_offs() == {"0001000413": today, "0001000421": today}  # every account of the holder

    # The same stranger under a new username, or as an administrator user, with either account's bill.
    other_account = await latest_bill_details(ANA_BILL["identity"], "0001000421")
    for kind, details in (("private", ANA_BILL), ("administrator", ANA_BILL), ("private", other_account)):
        refused = await check_bill(client, details, kind)
        assert refused.status_code == 422, kind
        assert field_errors(refused.text) == {"bill_number": old_bill(today)}, kind
        assert {name: field_value(refused.text, name) for name in details} == details
    assert len(await audit_events("bill_check.superseded")) == 3
    assert await bill_check_attempts() == 0

    await submit(client, "/language", {"language": "es", "return_to": "/"})
    spanish = await check_bill(client, ANA_BILL)
    with i18n.speaking("es"):
        day = format_day(today)  # "7 dic 2026"
    assert field_errors(spanish.text) == {
        "bill_number": "Esta factura ya no sirve para acreditar este contrato. Use una factura emitida"
        f" después del {day}, o llámenos al {PHONE}"
    }
    await submit(client, "/language", {"language": "en", "return_to": "/"})

    # The holder calls in with only that bill: customer service lets it prove the account again.
    allowed = run_portal("access", "allow-old-bills", "0001-000 413", "--by", "cs.agent")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout == (
        f"Every bill of account 0001000413 proves it again, those issued up to {today:%Y-%m-%d} too\n"
    )
    assert await cut_offs() == {"0001000421": today}  # the account asked for alone
    [event] = await audit_events("access.old_bills_allowed")
    account = await Account.select(Account.id).where(Account.number == "0001000413").first()
    assert event["detail"] == {
        "account_id": account["id"],
        "bills_prove_after": today.isoformat(),
        "by": "cs.agent",
    }
    assert run_portal("access", "list", "0001000413").stdout.splitlines() == [
        "0 users can see account 0001000413 (holder Ana Martínez Ruiz)"
    ]
    await complete_registration(client, "private", ANA_BILL, "ana.real", "ana.real@example.com")
    assert await access_count("ana.real") == 2  # a private user: every account of the holder

    again = run_portal("access", "allow-old-bills", "0001000413")
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr.splitlines()[-1] == (
        "portal access allow-old-bills: every bill of account 0001000413 proves it already: nothing to do"
    )
    unknown = run_portal("access", "allow-old-bills", NOWHERE)
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr.splitlines()[-1] == f"portal access allow-old-bills: there is no account {NOWHERE}"
    malformed = run_portal("access", "allow-old-bills", "0001000438")
    assert (malformed.returncode, malformed.stdout) == (2, "")
    assert "is not an account number" in malformed.stderr
    assert len(await audit_events("access.old_bills_allowed")) == 1


async def test_a_registration_the_old_bill_proved_before_the_removal_goes_back_to_its_bill_check(
    client: Any, demo: None
) -> None:
    """A draft lives a day: one whose bill check passed before the removal cannot be completed after it."""
    await register_until_check(client, "administrator", PALMERAS_BILL, "palmeras.two", "two@example.com")
    today = clock.today()
    assert portal_on(today, "access", "remove", "admin.demo", "0001000439").returncode == 0

    sent = await submit(client, "/register/check")
    assert (sent.status_code, sent.headers["location"]) == (303, "/register/bill-details")
    assert not await User.exists().where(User.username == "palmeras.two")
    page = await client.get("/register/bill-details")
    assert field_value(page.text, "bill_number") == PALMERAS_BILL["bill_number"]  # as they typed it
    refused = await submit(client, "/register/bill-details", PALMERAS_BILL)
    assert field_errors(refused.text) == {"bill_number": old_bill(today)}


async def test_a_later_removal_moves_the_day_forward_never_back(
    client: Any, app: Litestar, demo: None
) -> None:
    """Two more administrators of Las Palmeras, who proved it with its bill before any removal."""
    await complete_registration(client, "administrator", PALMERAS_BILL, "palmeras.two", "two@example.com")
    async with browser(app, OTHER_IP) as other:
        await complete_registration(other, "administrator", PALMERAS_BILL, "palmeras.three", "3@example.com")
    today = clock.today()
    later = today + dt.timedelta(days=2)

    first = portal_on(later, "access", "remove", "palmeras.two", "0001000439")
    assert first.returncode == 0, first.stderr
    assert f"Bills issued up to {later:%Y-%m-%d} no longer prove account 0001000439" in first.stdout
    second = portal_on(today, "access", "remove", "palmeras.three", "0001000439")
    assert second.returncode == 0, second.stderr
    assert f"Bills issued up to {later:%Y-%m-%d} no longer prove account 0001000439" in second.stdout
    assert await cut_offs() == {"0001000439": later}
    twice = portal_on(today, "access", "remove", "palmeras.three", "0001000439")  # nothing left to remove
    assert twice.returncode == 1
    assert await cut_offs() == {"0001000439": later}
    assert [event["detail"]["bills_prove_after"] for event in await audit_events("access.removed")] == [
        later.isoformat(),
        later.isoformat(),
    ]


async def test_an_account_added_while_its_removal_commits_is_refused_the_bill_the_removal_made_old(
    client: Any, demo: None
) -> None:
    """The administrator removed sends "Add an account" with their bill while the removal runs: the bill is
    checked before the removal commits, and the access would be inserted just after it. Granting it waits
    for the removal and reads the bill again, so the removal holds."""
    await sign_in(client, ADMIN)
    async with other_transaction() as audit_log:
        # The removal's last write is its audit event: held there, inside its transaction (access deleted,
        # old bills cut, sessions ended, nothing committed).
        await audit_log.execute("LOCK TABLE audit_event IN SHARE MODE")
        removal = await remove_in_the_background("admin.demo", "0001000439")
        await audit_log.blocks_another(within=60)
        adding = asyncio.create_task(submit(client, "/account/accounts/add", PALMERAS_BILL))
        await audit_log.blocks(2, within=60)  # the add, checked, waits to grant the account
    stdout, stderr = await asyncio.wait_for(removal.communicate(), 120)
    assert removal.returncode == 0, stderr.decode()
    assert "no longer sees account 0001000439" in stdout.decode()
    refused = await asyncio.wait_for(adding, 60)
    [until] = (await cut_offs()).values()
    assert refused.status_code == 422, refused.headers
    assert field_errors(refused.text) == {"bill_number": old_bill(until)}
    assert await access_count("admin.demo") == len(PALMERAS) - 1
    assert await audit_events("account.added") == []
    assert len(await audit_events("bill_check.superseded")) == 1


async def test_a_bill_check_saved_just_after_the_removal_cannot_complete_the_registration(
    client: Any, demo: None
) -> None:
    """The bill is checked before the removal commits, and the draft saved as proved just after it (too
    late for the removal to send it back): completing the registration reads the bill again, refuses it
    and goes back to the bill check, with what was typed and why."""
    await start_registration(client, "administrator")
    draft = await RegistrationDraft.select(RegistrationDraft.id).order_by(
        RegistrationDraft.id, ascending=False
    )
    async with other_transaction() as holder:
        await holder.execute("SELECT id FROM registration_draft WHERE id = $1 FOR UPDATE", draft[0]["id"])
        checking = asyncio.create_task(submit(client, "/register/bill-details", PALMERAS_BILL))
        await holder.blocks_another(within=60)  # checked, and waiting to save the draft
        assert portal_on(clock.today(), "access", "remove", "admin.demo", "0001000439").returncode == 0
    checked = await asyncio.wait_for(checking, 60)
    assert (checked.status_code, checked.headers["location"]) == (303, "/register/user-details")
    details = {"username": "palmeras.two", "email": "two@example.com", "privacy": "true"}
    assert (await submit(client, "/register/user-details", details)).status_code == 303

    refused = await submit(client, "/register/check")
    [until] = (await cut_offs()).values()
    assert refused.status_code == 422
    assert heading(refused.text) == "Enter the details from your bill"
    assert field_errors(refused.text) == {"bill_number": old_bill(until)}
    assert {name: field_value(refused.text, name) for name in PALMERAS_BILL} == PALMERAS_BILL
    assert not await User.exists().where(User.username == "palmeras.two")
    again = await client.get("/register/check", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/register/bill-details")


async def test_a_removal_does_not_wait_for_a_registration_being_completed(client: Any, demo: None) -> None:
    """A registration being completed holds its draft, and then waits for the holder, whom a removal holds:
    the removal passes that draft by rather than wait for it (they would wait for each other), and the
    completion, once the removal is done, finds the bill old itself."""
    await register_until_check(client, "administrator", PALMERAS_BILL, "palmeras.two", "two@example.com")
    draft = await RegistrationDraft.select(RegistrationDraft.id).order_by(
        RegistrationDraft.id, ascending=False
    )
    async with other_transaction() as completing:
        await completing.execute("SELECT id FROM registration_draft WHERE id = $1 FOR UPDATE", draft[0]["id"])
        removal = await remove_in_the_background("admin.demo", "0001000439")
        _stdout, stderr = await asyncio.wait_for(removal.communicate(), 60)
        assert removal.returncode == 0, stderr.decode()
    [until] = (await cut_offs()).values()
    refused = await submit(client, "/register/check")
    assert refused.status_code == 422
    assert field_errors(refused.text) == {"bill_number": old_bill(until)}
    assert not await User.exists().where(User.username == "palmeras.two")
