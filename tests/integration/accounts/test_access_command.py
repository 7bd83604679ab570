"""Customer service removes an access a holder did not expect (the holder's notice tells them to call):
`portal access list ACCOUNT` shows who can see an account, `portal access remove USERNAME ACCOUNT` takes
it away at once, run as an operator runs them."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Litestar

from portal import clock
from portal.banking.accounts import account_number
from portal.db.tables import Account, AccountAccess
from portal.demo.generate import ANA as ANA_HOLDER
from portal.settings import Settings
from tests.conftest import other_transaction, submit
from tests.integration.accounts.helpers import (
    ADMIN,
    ANA,
    INMOBILIARIA,
    OTHER_IP,
    audit_events,
    browser,
    complete_registration,
    error_messages,
    session_rows,
    start_registration,
    user_row,
)
from tests.integration.accounts.test_administrator_accounts import PALMERAS, access_count
from tests.integration.accounts.test_registration_conflicts import HOLDER_REGISTERED
from tests.integration.bills.test_my_bills import bill_of
from tests.integration.imports.import_steps import run
from tests.processes import run_portal
from tests.steps import sign_in
from tests.unit.imports.import_samples import ACCOUNT_RECORD, jsonl, record

ANA_BILL = {  # Ana Martínez Ruiz's latest bill (README, "Demo data")
    "identity": "33127845W",
    "account_number": "0001000413",
    "bill_number": "FA00000001025",
    "amount": "13,48",
}
NOWHERE = account_number(999_999)  # a valid number that is no account of the demo's


def portal_on(day: dt.date, *args: str) -> subprocess.CompletedProcess[str]:
    """`portal ARGS` run at noon of `day` in the customers' time zone: the day a removal stores is the
    test's, even for a test that starts a moment before midnight."""
    noon = dt.datetime.combine(day, dt.time(12), ZoneInfo(Settings.from_env().locale.timezone))
    return run_portal(*args, PORTAL_NOW=noon.isoformat())


async def remove_anas_user_in_the_background() -> asyncio.subprocess.Process:
    """`portal access remove ana.demo … --all-accounts` started and not awaited, for a test that holds it
    at a lock: its output is read with `communicate()`."""
    return await remove_in_the_background("ana.demo", "0001000413", "--all-accounts")


async def remove_in_the_background(*args: str) -> asyncio.subprocess.Process:
    """`portal access remove ARGS` started and not awaited (see `remove_anas_user_in_the_background`)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal.cli",
        "access",
        "remove",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def since(username: str, number: str, settings: Settings) -> str:
    """When the user got the account, as the list writes it: in the portal's time zone."""
    [row] = await AccountAccess.select(AccountAccess.created_at).where(
        (AccountAccess.user._.username == username) & (AccountAccess.account._.number == number)
    )
    created_at: dt.datetime = row["created_at"]
    return f"{created_at.astimezone(ZoneInfo(settings.locale.timezone)):%Y-%m-%d %H:%M %Z}"


async def signed_out_from(client: Any, path: str) -> bool:
    """Whether the browser's next request finds its session over (it is sent to "Sign in")."""
    response = await client.get(path, follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/sign-in?next=")


async def test_the_list_shows_every_user_who_can_see_an_account(
    client: Any, demo: None, settings: Settings
) -> None:
    await complete_registration(client, "administrator", INMOBILIARIA, "inmo.admin", "inmo@example.com")

    listed = run_portal("access", "list", "0001-000 439")  # typed as on the bill, spaces and hyphen
    assert listed.returncode == 0, listed.stderr
    admin_since = await since("admin.demo", "0001000439", settings)
    assert listed.stdout.splitlines() == [
        f"admin.demo  administrator user  administrator  since {admin_since}  activated",
        "1 users can see account 0001000439 (holder Comunidad de Propietarios Edificio Las Palmeras)",
    ]
    not_yet = run_portal("access", "list", "0001000074")
    inmo_since = await since("inmo.admin", "0001000074", settings)
    assert not_yet.stdout.splitlines() == [
        f"inmo.admin  administrator user  administrator  since {inmo_since}  not activated",
        "1 users can see account 0001000074 (holder Inmobiliaria Mediterránea, S.A.)",
    ]
    ana = run_portal("access", "list", "0001000421").stdout.splitlines()
    assert ana[0].startswith("ana.demo  private user  holder  since ") and ana[-1].startswith("1 users")
    assert run_portal("access", "list", "0001000066").stdout.startswith("0 users can see account 0001000066")

    malformed = run_portal("access", "list", "0001000438")  # one digit wrong: its check digit says so
    assert (malformed.returncode, malformed.stdout) == (2, "")
    assert malformed.stderr.splitlines()[-1] == (
        "portal access list: '0001000438' is not an account number: Check the account number: one of its"
        " digits is wrong"
    )
    unknown = run_portal("access", "list", NOWHERE)
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr.splitlines()[-1] == f"portal access list: there is no account {NOWHERE}"


async def test_an_administrators_access_is_removed_and_their_browser_loses_it_at_once(
    client: Any, demo: None
) -> None:
    removed, kept = await bill_of("0001000439"), await bill_of("0001000447")
    await sign_in(client, ADMIN)
    assert (await client.get(f"/bills/{removed['id']}")).status_code == 200

    refused = run_portal("access", "remove", "admin.demo", "0001000439", "--all-accounts")
    assert refused.returncode == 2 and "remove their accesses one by one" in refused.stderr, refused.stderr
    assert await access_count("admin.demo") == len(PALMERAS)

    today = clock.today()
    done = portal_on(today, "access", "remove", "Admin.Demo", "0001000439", "--by", "cs.agent")  # as sign-in
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "admin.demo (administrator user) no longer sees account 0001000439; their sessions ended",
        f"Bills issued up to {today:%Y-%m-%d} no longer prove account 0001000439: to add it again or"
        " register with it, a later bill is needed",
    ]
    listed = run_portal("access", "list", "0001000439").stdout.splitlines()
    assert listed[-1].startswith("0 users can see account 0001000439")
    assert await access_count("admin.demo") == len(PALMERAS) - 1
    assert await session_rows("admin.demo") == []
    assert await signed_out_from(client, f"/bills/{removed['id']}")
    await sign_in(client, ADMIN)
    assert (await client.get(f"/bills/{removed['id']}")).status_code == 404
    assert (await client.get(f"/bills/{kept['id']}")).status_code == 200

    [event] = await audit_events("access.removed")
    assert event["user"] == (await user_row("admin.demo"))["id"]
    assert event["detail"] == {
        "account_id": removed["account"],
        "accounts": 1,
        "unlinked_customer_id": None,
        "bills_prove_after": today.isoformat(),
        "by": "cs.agent",
    }


async def test_the_holders_own_user_loses_all_its_accounts_and_the_holder_can_register(
    client: Any, app: Litestar, demo: None, settings: Settings
) -> None:
    ana_bill = await bill_of("0001000413")
    await sign_in(client, ANA)
    async with browser(app, OTHER_IP) as holder:
        await start_registration(holder, "private")
        taken = await submit(holder, "/register/bill-details", ANA_BILL)
        assert error_messages(taken.text) == [HOLDER_REGISTERED]

        refused = run_portal("access", "remove", "ana.demo", "0001000413")
        assert (refused.returncode, refused.stdout) == (2, "")
        assert refused.stderr.splitlines()[-1] == (
            "portal access remove: ana.demo is the private user of Ana Martínez Ruiz, the holder of"
            " 0001000413, and sees all of the holder's 2 accounts, new ones too: one of them cannot be taken"
            " away alone. Add --all-accounts to remove all of them and unlink the user from the holder (who"
            " can then register)"
        )
        assert await access_count("ana.demo") == 2 and (await user_row("ana.demo"))["customer"] is not None
        assert (await client.get(f"/bills/{ana_bill['id']}")).status_code == 200

        today = clock.today()
        done = portal_on(today, "access", "remove", "ana.demo", "0001000413", "--all-accounts")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [
            "ana.demo (private user) no longer sees the 2 accounts of Ana Martínez Ruiz"
            " (holder of 0001000413) and is unlinked from that holder: imports give them no new account,"
            " and the holder can register; their sessions ended",
            f"Bills issued up to {today:%Y-%m-%d} no longer prove any account of Ana Martínez Ruiz: to"
            " register or add one, a later bill is needed",
        ]
        assert await access_count("ana.demo") == 0
        assert (await user_row("ana.demo"))["customer"] is None
        assert await session_rows("ana.demo") == []
        assert await signed_out_from(client, f"/bills/{ana_bill['id']}")
        [event] = await audit_events("access.removed")
        assert event["detail"]["accounts"] == 2 and event["detail"]["unlinked_customer_id"] is not None

        # The holder registers now, and gets both accounts: with a later bill, or, having only this one,
        # once customer service lets it prove the account again (test_old_bills.py).
        assert run_portal("access", "allow-old-bills", "0001000413").returncode == 0
        checked = await submit(holder, "/register/bill-details", ANA_BILL)
        assert checked.status_code == 303, error_messages(checked.text)
        assert checked.headers["location"] == "/register/user-details"
        await complete_registration(holder, "private", ANA_BILL, "ana.real", "ana.real@example.com")
    assert await access_count("ana.real") == 2
    await sign_in(client, ANA)  # the removed user stays, and sees nothing
    assert (await client.get(f"/bills/{ana_bill['id']}")).status_code == 404
    assert (await client.get("/account")).status_code == 200

    # A new account of the holder's goes to the holder's new user, never to the removed one.
    new = account_number(700_003)
    await run(jsonl(record(ACCOUNT_RECORD, number=new, holder=ANA_HOLDER.identity_number)), settings)
    assert await access_count("ana.real") == 3 and await access_count("ana.demo") == 0


async def test_an_account_that_an_import_is_adding_meanwhile_goes_too(demo: None) -> None:
    """An import batch adding an account of the holder grants it to the holder's own user (imports.writer)
    in a transaction that may last seconds: the removal waits for it, then takes that account away too."""
    new = account_number(700_004)
    async with other_transaction() as batch:
        await batch.execute(
            "INSERT INTO account (number, customer, supply_address, service, tariff, payment_method,"
            " iban_masked, online_bill, created_at) SELECT $1, customer, supply_address, service, tariff,"
            " payment_method, iban_masked, online_bill, created_at FROM account WHERE number = '0001000413'",
            new,
        )
        await batch.execute(
            "INSERT INTO account_access (\"user\", account, role, created_at) SELECT u.id, a.id, 'holder',"
            " a.created_at FROM portal_user u, account a WHERE u.username = 'ana.demo' AND a.number = $1",
            new,
        )
        command = await remove_anas_user_in_the_background()
        await batch.blocks_another(within=60)
    stdout, stderr = await asyncio.wait_for(command.communicate(), 120)
    assert command.returncode == 0, stderr.decode()
    assert "no longer sees the 3 accounts of Ana Martínez Ruiz" in stdout.decode()
    assert await access_count("ana.demo") == 0


async def test_an_import_adding_an_account_while_the_removal_commits_gives_it_to_nobody(
    demo: None, settings: Settings
) -> None:
    """The other order: the removal has locked the holder and unlinked the user, and has not committed,
    when an import batch adds an account of the holder. The batch waits for the removal (its account
    refers to the locked holder); it must then grant the account to the holder's users as they are after
    the removal, that is to nobody, not as they were when its statement began."""
    new = account_number(700_005)
    async with other_transaction() as audit_log:
        # The removal's last write is its audit event: held there, inside its transaction.
        await audit_log.execute("LOCK TABLE audit_event IN SHARE MODE")
        command = await remove_anas_user_in_the_background()
        await audit_log.blocks_another(within=60)
        adding = asyncio.create_task(
            run(jsonl(record(ACCOUNT_RECORD, number=new, holder=ANA_HOLDER.identity_number)), settings)
        )
        await audit_log.blocks(2, within=60)  # the batch waits for the removal too
    stdout, stderr = await asyncio.wait_for(command.communicate(), 120)
    assert command.returncode == 0, stderr.decode()
    assert "no longer sees the 2 accounts of Ana Martínez Ruiz" in stdout.decode()
    assert (await asyncio.wait_for(adding, 60)).rejections == []
    assert await Account.exists().where(Account.number == new)
    assert await access_count("ana.demo") == 0


async def test_an_unknown_user_account_or_access(client: Any, demo: None) -> None:
    unknown = run_portal("access", "remove", "nobody.here", "0001000439")
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr.splitlines()[-1] == "portal access remove: there is no user 'nobody.here'"
    nowhere = run_portal("access", "remove", "admin.demo", NOWHERE)
    assert nowhere.returncode == 2
    assert nowhere.stderr.splitlines()[-1] == f"portal access remove: there is no account {NOWHERE}"
    malformed = run_portal("access", "remove", "admin.demo", "12345")
    assert malformed.returncode == 2 and "is not an account number" in malformed.stderr

    await sign_in(client, ANA)
    # An account number as typed may end in a line break, which it ignores as it does spaces: repeated
    # as typed, it cut the message in two.
    not_theirs = run_portal("access", "remove", "ana.demo", "0001000439\n", "--all-accounts")
    assert (not_theirs.returncode, not_theirs.stdout) == (1, "")
    assert not_theirs.stderr.splitlines()[-1] == (
        "portal access remove: 'ana.demo' cannot see account '0001000439\\n': nothing removed"
    )
    assert await access_count("ana.demo") == 2 and await access_count("admin.demo") == len(PALMERAS)
    assert len(await session_rows("ana.demo")) == 1  # nothing removed: nobody signed out
    assert await audit_events("access.removed") == []


async def test_a_huge_argument_is_repeated_cut_short(db: None) -> None:
    """A pasted page (or a runaway variable) as the account number filled the screen with itself."""
    typed = "0001000413" + " 9" * 5_000
    malformed = run_portal("access", "list", typed)
    assert (malformed.returncode, malformed.stdout) == (2, "")
    assert malformed.stderr.splitlines()[-1] == (
        f"portal access list: {typed[:60]!r}… (10010 characters) is not an account number: An account"
        " number has 10 digits, such as 0000000018"
    )
