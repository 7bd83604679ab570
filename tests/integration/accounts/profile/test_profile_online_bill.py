"""Online bill: one yes/no for every account the user may see. The accounts hold the setting (bills are
issued per account, and the home page shows it per account); the user's own flag keeps the answer."""

from typing import Any

from portal.db.tables import Account, AccountAccess, User
from tests.conftest import submit
from tests.integration.accounts.helpers import ADMIN, ANA, audit_events, error_messages, heading, is_checked
from tests.integration.accounts.profile.profile_steps import notification_text, signed_in


async def online_flags(username: str) -> dict[str, bool]:
    user = await User.select(User.id).where(User.username == username).first()
    assert user is not None
    ids = [
        row["account"]
        for row in await AccountAccess.select(AccountAccess.account).where(AccountAccess.user == user["id"])
    ]
    rows = await Account.select(Account.number, Account.online_bill).where(Account.id.is_in(ids))
    return {row["number"]: row["online_bill"] for row in rows}


def home_rows(page: str) -> list[str]:
    return [part.split("</dd>", 1)[0] for part in page.split("<dt>Online bill</dt><dd>")[1:]]


async def test_yes_and_no_change_every_account_and_the_home_page(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    before_admin = await online_flags("admin.demo")
    form = await client.get("/account/online-bill")
    assert heading(form.text) == "Online bill"
    assert "Do you want your bills online?" in form.text
    assert is_checked(form.text, "online_bill")  # the demo users asked for the online bill
    assert not is_checked(form.text, "online_bill-2")
    assert "all 2 accounts you can see" in form.text

    done = await submit(client, "/account/online-bill", {"online_bill": "no"})
    assert done.status_code == 303
    assert done.headers["location"] == "/account/online-bill?saved=true"
    page = await client.get(done.headers["location"])
    assert notification_text(page.text).startswith("Online bill is off")
    assert is_checked(page.text, "online_bill-2")
    assert await online_flags("ana.demo") == {"0001000413": False, "0001000421": False}
    assert not (await User.select(User.online_bill).where(User.username == "ana.demo").first())["online_bill"]
    home = await client.get("/account")
    assert home_rows(home.text) == ["No, bills on paper", "No, bills on paper"]

    done = await submit(client, "/account/online-bill", {"online_bill": "yes"})
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    assert notification_text(page.text).startswith("Online bill is on")
    assert is_checked(page.text, "online_bill")
    assert await online_flags("ana.demo") == {"0001000413": True, "0001000421": True}
    assert (await User.select(User.online_bill).where(User.username == "ana.demo").first())["online_bill"]
    home = await client.get("/account")
    assert home_rows(home.text) == ["Yes", "Yes"]

    # Only the viewer's accounts changed.
    assert await online_flags("admin.demo") == before_admin
    events = await audit_events("online_bill.changed")
    assert [e["detail"] for e in events] == [
        {"online_bill": False, "accounts": 2},
        {"online_bill": True, "accounts": 2},
    ]


async def test_an_answer_is_required(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    for data in ({}, {"online_bill": "maybe"}):
        response = await submit(client, "/account/online-bill", data)
        assert response.status_code == 422
        assert error_messages(response.text) == [
            "Select yes if you want your bills online, or no for bills on paper"
        ]
        assert "<title>Error: Online bill" in response.text
        assert 'href="#online_bill"' in response.text
    assert await online_flags("ana.demo") == {"0001000413": True, "0001000421": True}  # unchanged


async def test_accounts_that_differ_preselect_nothing(client: Any, demo: None) -> None:
    await Account.update({Account.online_bill: False}).where(Account.number != "0001000439")
    await signed_in(client, *ADMIN)
    form = await client.get("/account/online-bill")
    assert "all 5 accounts you can see" in form.text
    assert "Now 1 of them has the online bill" in form.text
    assert not is_checked(form.text, "online_bill") and not is_checked(form.text, "online_bill-2")
