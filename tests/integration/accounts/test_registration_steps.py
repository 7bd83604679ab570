"""The registration steps in and out of order: skipping ahead, a lost draft, the back button after the
end, a stale tab's step after the end, a double submit, and two registrations at once."""

import asyncio
from typing import Any

from litestar import Litestar

from portal.db.tables import RegistrationDraft, User
from tests.conftest import all_mail_sent, csrf_token, other_transaction, submit
from tests.integration.accounts.helpers import (
    HORNO,
    MARIA,
    browser,
    complete_registration,
    register_until_check,
    start_registration,
)

STEPS = ["/register/bill-details", "/register/user-details", "/register/check"]
BILL_COLUMNS = {  # the bill details form's fields, and the draft's columns that keep them
    "identity": "identity_number",
    "account_number": "account_number",
    "bill_number": "bill_number",
    "amount": "amount",
}


async def location(client: Any, method: str, path: str) -> str:
    if method == "GET":
        response = await client.get(path, follow_redirects=False)
    else:
        response = await submit(client, path, {"username": "someone", "email": "someone@example.com"})
    assert response.status_code == 303, (method, path, response.status_code)
    return response.headers["location"]


async def test_later_steps_before_the_bill_check_go_back_to_it(client: Any, demo: None) -> None:
    await start_registration(client, "private")
    for method in ("GET", "POST"):
        for path in ("/register/user-details", "/register/check"):
            assert await location(client, method, path) == "/register/bill-details", (method, path)
    assert await User.count() == 2  # only the demo users


async def test_the_check_step_before_the_user_details_goes_back_to_them(client: Any, demo: None) -> None:
    await start_registration(client, "private")
    response = await submit(client, "/register/bill-details", MARIA)
    assert response.headers["location"] == "/register/user-details"
    assert await location(client, "GET", "/register/check") == "/register/user-details"


async def test_without_a_draft_every_step_says_it_expired(client: Any, demo: None) -> None:
    for method in ("GET", "POST"):
        for path in STEPS:
            assert await location(client, method, path) == "/register?expired=true", (method, path)
    # A cookie the server never issued is no draft either.
    client.cookies.set("registration", "made-up-token", path="/register")
    assert await location(client, "GET", "/register/bill-details") == "/register?expired=true"
    # Nor is an expired draft.
    client.cookies.clear()
    await start_registration(client, "private")
    assert (await client.get("/register/bill-details", follow_redirects=False)).status_code == 200
    await RegistrationDraft.update({RegistrationDraft.expires_at: RegistrationDraft.created_at}, force=True)
    assert await location(client, "GET", "/register/bill-details") == "/register?expired=true"
    page = await client.get("/register?expired=true")
    assert page.status_code == 200


async def test_after_completion_every_step_goes_to_the_email_page(client: Any, demo: None) -> None:
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")
    for path in STEPS:
        assert await location(client, "GET", path) == "/register/email-sent", path
    # Posting an old step's form again changes nothing.
    response = await submit(client, "/register/bill-details", {**MARIA, "amount": "1,00"})
    assert response.headers["location"] == "/register/email-sent"
    response = await submit(
        client,
        "/register/user-details",
        {"username": "other.name", "email": "other@example.com", "privacy": "true"},
    )
    assert response.headers["location"] == "/register/email-sent"
    maria = await User.select(User.email).where(User.username == "maria.garcia")
    assert maria == [{"email": "maria@example.com"}]
    assert await User.count().where(User.username == "other.name") == 0
    draft = await RegistrationDraft.select().first()
    assert (draft["username"], draft["amount"]) == ("maria.garcia", "14,69")


async def test_bill_details_from_a_stale_tab_do_not_rewrite_a_completed_registration(
    client: Any, demo: None
) -> None:
    """Another tab completes the registration while this one's bill details (another holder's) are on
    their way: the draft keeps the bill and account it was completed with, and this tab is sent on to the
    email page."""
    await register_until_check(client, "administrator", MARIA, "first", "first@example.org")
    [draft] = await RegistrationDraft.select(RegistrationDraft.id, RegistrationDraft.account).where(
        RegistrationDraft.username == "first"
    )

    async with other_transaction() as other_tab:
        await other_tab.execute(
            "UPDATE registration_draft SET completed_at = now() WHERE id = $1", draft["id"]
        )
        saving = asyncio.create_task(submit(client, "/register/bill-details", HORNO))
        await other_tab.blocks_another()  # on the draft
    answer = await saving

    assert answer.status_code == 303
    assert await location(client, "GET", answer.headers["location"]) == "/register/email-sent"
    row = await RegistrationDraft.select().where(RegistrationDraft.id == draft["id"]).first()
    bill = {field: row[column] for field, column in BILL_COLUMNS.items()}
    assert (bill, row["account"]) == (MARIA, draft["account"])


async def test_double_submit_of_the_check_creates_one_user_and_one_email(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    await register_until_check(client, "private", MARIA, "maria.garcia", "maria@example.com")
    token = await csrf_token(client)
    form = {"_csrf_token": token}
    first, second = await asyncio.gather(
        client.post("/register/check", data=form, follow_redirects=False),
        client.post("/register/check", data=form, follow_redirects=False),
    )
    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["location"] == second.headers["location"] == "/register/email-sent"
    # And a third, later (the back button and Continue again).
    third = await submit(client, "/register/check")
    assert third.headers["location"] == "/register/email-sent"

    assert await User.count().where(User.username == "maria.garcia") == 1
    assert await all_mail_sent() == 1
    assert len(mailbox.messages) == 1
    assert mailbox.messages[0]["To"] == "maria@example.com"


async def test_two_drafts_at_once_are_independent(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any
) -> None:
    async with browser(app, "203.0.113.10") as other_tab:
        await start_registration(client, "private")
        await start_registration(other_tab, "company")
        assert (await submit(client, "/register/bill-details", MARIA)).status_code == 303
        assert (await submit(other_tab, "/register/bill-details", HORNO)).status_code == 303
        await submit(
            other_tab,
            "/register/user-details",
            {"username": "horno", "email": "horno@example.com", "privacy": "true"},
        )
        await submit(
            client,
            "/register/user-details",
            {"username": "maria.garcia", "email": "maria@example.com", "privacy": "true"},
        )
        maria_check = await client.get("/register/check")
        horno_check = await other_tab.get("/register/check")
        assert "48213657E" in maria_check.text and "B46382917" not in maria_check.text
        assert "B46382917" in horno_check.text and "48213657E" not in horno_check.text
        assert (await submit(other_tab, "/register/check")).headers["location"] == "/register/email-sent"
        assert (await submit(client, "/register/check")).headers["location"] == "/register/email-sent"

    users = await User.select(User.username, User.email, User.kind).where(User.activated_at.is_null())
    assert sorted(users, key=lambda u: u["username"]) == [
        {"username": "horno", "email": "horno@example.com", "kind": "company"},
        {"username": "maria.garcia", "email": "maria@example.com", "kind": "private"},
    ]
    messages = await mailbox.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["horno@example.com", "maria@example.com"]
