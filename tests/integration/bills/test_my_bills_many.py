"""My bills for users with many bills and many accounts: the pending list stays short, and past
ACCOUNT_CHOICES accounts the "Account" filter is a typed number checked against the viewer's accounts."""

import re
from typing import Any

from portal.bills.services import ACCOUNT_CHOICES, PENDING_SHOWN
from portal.db import fetch_one
from portal.db.tables import Bill
from portal.settings import Settings
from tests.steps import ADMIN, ANA, sign_in


async def _user_id(username: str) -> int:
    row = await fetch_one("SELECT id FROM portal_user WHERE username = {}", username)
    assert row is not None
    return int(row["id"])


def _pending_section(html: str) -> str:
    return html.split('id="pending-heading"')[1]


async def test_pending_bills_show_the_oldest_and_link_to_the_rest(client: Any, demo: None) -> None:
    admin = await _user_id(ADMIN[0])
    await Bill.raw(
        "UPDATE bill SET status = 'pending' WHERE account IN"
        ' (SELECT account FROM account_access WHERE "user" = {})',
        admin,
    )
    oldest = await Bill.raw(
        'SELECT b.number FROM bill b JOIN account_access x ON x.account = b.account AND x."user" = {}'
        " ORDER BY b.period_start, b.id LIMIT {}",
        admin,
        PENDING_SHOWN,
    )
    await sign_in(client, ADMIN)
    page = await client.get("/bills")
    assert page.status_code == 200
    pending = _pending_section(page.text)
    assert pending.count("View online bill") == PENDING_SHOWN
    assert re.findall(r"<strong>(FA\d{11})</strong>", pending) == [row["number"] for row in oldest]
    assert f"These are your {PENDING_SHOWN} oldest pending bills." in pending
    assert 'href="/bills?status=overdue">all overdue bills</a>' in pending
    assert 'href="/bills?status=pending">all bills pending and not yet due</a>' in pending
    assert ">Online payment</a>" in pending


async def test_few_pending_bills_are_all_shown_without_the_links(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    pending = _pending_section((await client.get("/bills")).text)
    assert "View online bill" in pending
    assert "oldest pending bills" not in pending


async def test_an_account_from_the_list_that_is_not_the_viewers_is_an_error(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    page = await client.get("/bills?account=0001000439")  # the administrator's, not Ana's
    assert page.status_code == 422
    assert "Select an account from the list" in page.text
    select = '<select class="select" id="account" name="account"'
    assert f'{select} aria-describedby="account-error" aria-invalid="true">' in page.text
    assert "0001000439" not in re.findall(r"<td data-label=\"Account\">(\d{10})</td>", page.text)


async def test_many_accounts_make_the_account_filter_a_checked_text_input(
    client: Any, demo: None, settings: Settings
) -> None:
    from portal.demo.scale import SCALE_BILLS_PER_ACCOUNT, SCALE_HOLDER_CIF, load_scale_bills

    await load_scale_bills(settings, (ACCOUNT_CHOICES + 1) * SCALE_BILLS_PER_ACCOUNT)
    admin = await _user_id(ADMIN[0])
    await Bill.raw(
        'INSERT INTO account_access ("user", account, role, created_at)'
        " SELECT {}, a.id, 'administrator', now() FROM account a JOIN customer c ON c.id = a.customer"
        " WHERE c.identity_number = {}",
        admin,
        SCALE_HOLDER_CIF,
    )
    number = (
        await Bill.raw(
            "SELECT a.number FROM account a JOIN customer c ON c.id = a.customer"
            " WHERE c.identity_number = {} ORDER BY a.number DESC LIMIT 1",
            SCALE_HOLDER_CIF,
        )
    )[0]["number"]
    await sign_in(client, ADMIN)

    page = await client.get("/bills")
    assert page.status_code == 200
    assert '<label class="label" for="account">Account</label>' in page.text
    assert '<input type="text" id="account" name="account" value=""' in page.text
    assert "<option" not in page.text.split('id="account"')[1].split("</div>")[0]

    one = await client.get(f"/bills?account={number}")
    assert one.status_code == 200
    assert set(re.findall(r"<td data-label=\"Account\">(\d{10})</td>", one.text)) == {number}
    assert f'value="{number}"' in one.text

    other = await client.get("/bills?account=0001000413")  # Ana's: not the administrator's
    assert other.status_code == 422
    assert "Enter the number of one of your accounts" in other.text
    assert 'href="#account">Enter the number of one of your accounts</a>' in other.text
    assert 'value="0001000413"' in other.text  # what was typed is kept
    assert "0001000413" not in re.findall(r"<td data-label=\"Account\">(\d{10})</td>", other.text)
