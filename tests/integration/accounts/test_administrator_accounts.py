"""Administrators add accounts with a bill's details; private users see only their holder's accounts."""

import re
from typing import Any

from portal.accounts.bill_check import NO_MATCH
from portal.db.tables import AccountAccess
from tests.conftest import submit
from tests.integration.accounts.helpers import (
    ADMIN,
    ANA,
    INMOBILIARIA,
    SESSION_COOKIE,
    add_account_at_once,
    audit_events,
    error_messages,
    session_rows,
    sha256,
    submit_sign_in,
    user_row,
)

PALMERAS = {"0001000439", "0001000447", "0001000454", "0001000462", "0001000470"}


def accounts_listed(page: str) -> set[str]:
    """The account numbers a page shows (10 digits standing alone: not the digits of a bill number)."""
    return set(re.findall(r"(?<![\w-])\d{10}(?![\w-])", page))


async def access_count(username: str) -> int:
    return await AccountAccess.count().where(AccountAccess.user == (await user_row(username))["id"])


async def test_an_administrator_adds_an_account(client: Any, demo: None) -> None:
    await submit_sign_in(client, *ADMIN)
    assert accounts_listed((await client.get("/account")).text) == PALMERAS
    before = client.cookies[SESSION_COOKIE]

    response = await submit(client, "/account/accounts/add", INMOBILIARIA)
    assert response.status_code == 303, error_messages(response.text)
    assert response.headers["location"] == "/account?added=0001000074"

    # New privileges, new session token; the old one no longer works.
    after = client.cookies[SESSION_COOKIE]
    assert after != before
    assert [row["token_hash"] for row in await session_rows("admin.demo")] == [sha256(after)]

    home = await client.get("/account?added=0001000074")
    assert "You can now see account 0001000074." in home.text
    assert accounts_listed(home.text) == {*PALMERAS, "0001000074"}
    assert "Inmobiliaria Mediterránea" in home.text
    assert len(await audit_events("account.added")) == 1


async def test_the_old_session_token_stops_working_after_adding(client: Any, demo: None) -> None:
    await submit_sign_in(client, *ADMIN)
    before = client.cookies[SESSION_COOKIE]
    await submit(client, "/account/accounts/add", INMOBILIARIA)
    client.cookies.set(SESSION_COOKIE, before, domain="127.0.0.1", path="/")
    response = await client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


async def test_wrong_details_get_the_mismatch_message(client: Any, demo: None) -> None:
    await submit_sign_in(client, *ADMIN)
    for details in (
        {**INMOBILIARIA, "amount": "17,12"},
        {**INMOBILIARIA, "identity": "B46382917"},
        {**INMOBILIARIA, "bill_number": "FA00000000075"},
    ):
        response = await submit(client, "/account/accounts/add", details)
        assert response.status_code == 422
        assert error_messages(response.text) == [NO_MATCH]
    assert await access_count("admin.demo") == 5
    assert len(await audit_events("bill_check.failed")) == 3


async def test_adding_an_account_twice(client: Any, demo: None) -> None:
    await submit_sign_in(client, *ADMIN)
    assert (await submit(client, "/account/accounts/add", INMOBILIARIA)).status_code == 303
    again = await submit(client, "/account/accounts/add", INMOBILIARIA)
    assert again.status_code == 422
    assert error_messages(again.text) == ["You can already see this account"]
    # Nor one they see already from the start.
    palmeras = {
        "identity": "H46528733",
        "account_number": "0001000439",
        "bill_number": "FA00000001075",
        "amount": "14,69",
    }
    response = await submit(client, "/account/accounts/add", palmeras)
    assert error_messages(response.text) == ["You can already see this account"]
    assert await access_count("admin.demo") == 6


async def test_a_double_submit_adds_the_account_once_and_every_answer_is_the_first_ones(
    client: Any, demo: None
) -> None:
    """A double click, a slow network or two tabs: the same form sent four times at once. The browser shows
    (and keeps the session cookie of) whichever answer comes last, so each one is the success page's
    redirect with a session that works; the account is added once."""
    await submit_sign_in(client, *ADMIN)
    before = client.cookies[SESSION_COOKIE]
    answers = await add_account_at_once(client, INMOBILIARIA, 4)
    assert [answer.status_code for answer in answers] == [303] * 4, [a.text[:300] for a in answers]
    assert {answer.headers["location"] for answer in answers} == {"/account?added=0001000074"}
    live = {row["token_hash"] for row in await session_rows("admin.demo")}
    assert sha256(before) not in live
    for answer in answers:
        assert sha256(answer.cookies[SESSION_COOKIE]) in live
    assert await access_count("admin.demo") == 6
    assert len(await audit_events("account.added")) == 1


async def test_a_private_user_cannot_add_accounts(client: Any, demo: None) -> None:
    """Not linked for them, but a bookmark or a shared link opens it: a page that says whom "Add an account"
    is for and where to go instead, not a form whose answer blames their identity document."""
    await submit_sign_in(client, *ANA)
    before = client.cookies[SESSION_COOKIE]
    for response in (
        await client.get("/account/accounts/add"),
        await submit(client, "/account/accounts/add", INMOBILIARIA),
    ):
        assert response.status_code == 403
        assert "<h1>Only administrator users can add accounts</h1>" in response.text
        assert 'href="/account/manage">Go to Manage your account</a>' in response.text
        assert error_messages(response.text) == []
        assert 'name="identity"' not in response.text
    await submit(client, "/language", {"language": "es", "return_to": "/"})
    spanish = await client.get("/account/accounts/add")
    assert "<h1>Solo los usuarios administradores pueden añadir contratos</h1>" in spanish.text
    assert await access_count("ana.demo") == 2
    assert client.cookies[SESSION_COOKIE] == before
    assert await audit_events("account.added") == []


async def test_a_private_user_sees_only_their_holders_accounts(client: Any, demo: None) -> None:
    await submit_sign_in(client, *ANA)
    home = await client.get("/account")
    assert accounts_listed(home.text) == {"0001000413", "0001000421"}
    assert "Add an account" not in home.text
