"""Forgotten password: the same answer for known and unknown users, a one-hour link that sets a new
password, signs the user in and ends their other sessions; a user never activated gets a new activation
link instead."""

import datetime as dt
from typing import Any

from litestar import Litestar

from portal import clock
from portal.db.tables import EmailToken, Session
from portal.db.tables.auth import TokenPurpose
from tests.conftest import all_mail_sent, submit
from tests.integration.accounts.helpers import (
    ANA,
    MARIA,
    OTHER_IP,
    SESSION_COOKIE,
    activation_link,
    audit_events,
    browser,
    complete_registration,
    error_messages,
    heading,
    link_token,
    reset_link,
    session_rows,
    submit_sign_in,
    user_row,
)

NEW_PASSWORD = "harbour violet spindle 7"


async def ask_for_a_link(client: Any, login: str) -> Any:
    response = await submit(client, "/password/forgotten", {"login": login})
    assert response.status_code == 303
    return response


async def test_known_and_unknown_users_get_the_same_answer(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    known = await ask_for_a_link(client, "ana.demo")
    unknown = await ask_for_a_link(client, "nobody.here")
    assert known.headers["location"] == unknown.headers["location"] == "/password/forgotten/sent"
    page = await client.get("/password/forgotten/sent")
    assert "If that username or email address belongs to a user, we have sent" in page.text

    assert await all_mail_sent() == 1  # the unknown user gets nothing
    [message] = mailbox.messages
    assert message["To"] == "ana.demo@example.com"


async def test_the_link_sets_a_new_password_and_ends_other_sessions(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any
) -> None:
    async with browser(app, OTHER_IP) as other_device:
        assert (await submit_sign_in(other_device, *ANA)).status_code == 303
        assert len(await session_rows("ana.demo")) == 1

        await ask_for_a_link(client, "ANA.DEMO@example.com")
        [message] = await mailbox.wait_for(1)
        link = reset_link(message)
        form = await client.get(link)
        assert heading(form.text) == "Create a new password"
        assert "ana.demo" in form.text

        done = await submit(client, "/password/reset", {"token": link_token(link), "password": NEW_PASSWORD})
        assert done.status_code == 303
        assert done.headers["location"] == "/account?done=password_reset"
        home = await client.get(done.headers["location"], follow_redirects=False)
        assert "Signed in as ana.demo" in home.text
        assert "Password changed" in home.text and "Your new password is set" in home.text
        assert "Password changed" not in (await client.get("/account")).text  # said once, not on every visit

        # The other device's session ended; only the new one is left.
        response = await other_device.get("/account", follow_redirects=False)
        assert response.status_code == 303
        assert len(await session_rows("ana.demo")) == 1

        # The old password no longer works; the new one does.
        old = await submit_sign_in(other_device, *ANA)
        assert old.status_code == 422
        new = await submit_sign_in(other_device, "ana.demo", NEW_PASSWORD)
        assert new.status_code == 303

    # The link worked once.
    again = await submit(
        client, "/password/reset", {"token": link_token(link), "password": "yet another passphrase"}
    )
    assert again.status_code == 422
    assert heading(again.text) == "This link has already been used"
    assert len(await audit_events("password_reset.completed")) == 1


async def test_the_new_password_follows_the_rules(client: Any, demo: None, worker: Any, mailbox: Any) -> None:
    await ask_for_a_link(client, "ana.demo")
    [message] = await mailbox.wait_for(1)
    token = link_token(reset_link(message))
    for password, problem in (
        ("short", "Your password must be at least 8 characters (15 or more is better)"),
        ("ana.demo", "Your password must not be your username or email address"),
        (
            "Password123",
            "This password is too common and easy to guess: choose another, such as three random words",
        ),
    ):
        response = await submit(client, "/password/reset", {"token": token, "password": password})
        assert response.status_code == 422
        assert error_messages(response.text) == [problem], password
    assert SESSION_COOKIE not in client.cookies
    # The link still works after refusals.
    assert (
        await submit(client, "/password/reset", {"token": token, "password": NEW_PASSWORD})
    ).status_code == 303


async def test_the_link_expires_after_an_hour(client: Any, demo: None, worker: Any, mailbox: Any) -> None:
    before = (await user_row("ana.demo"))["password_hash"]
    await ask_for_a_link(client, "ana.demo")
    [message] = await mailbox.wait_for(1)
    token = link_token(reset_link(message))
    [row] = await EmailToken.select().where(EmailToken.purpose == TokenPurpose.password_reset)
    assert row["expires_at"] - row["created_at"] == dt.timedelta(hours=1)

    await EmailToken.update({EmailToken.expires_at: clock.now() - dt.timedelta(seconds=1)}, force=True)
    page = await client.get(f"/password/reset?token={token}")
    assert heading(page.text) == "This link has expired"
    refused = await submit(client, "/password/reset", {"token": token, "password": NEW_PASSWORD})
    assert refused.status_code == 422
    assert heading(refused.text) == "This link has expired"
    assert (await user_row("ana.demo"))["password_hash"] == before
    assert await Session.count() == 0


async def test_a_newer_reset_link_replaces_the_older_one(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    await ask_for_a_link(client, "ana.demo")
    await ask_for_a_link(client, "ana.demo")
    first, second = await mailbox.wait_for(2)
    old, new = reset_link(first), reset_link(second)
    assert old != new
    states = {}  # which is newer depends on delivery order: compare the pair
    for link in (old, new):
        states[link] = heading((await client.get(link)).text)
    assert sorted(states.values()) == ["Create a new password", "This link has been replaced by a newer one"]


async def test_a_link_opened_while_signed_in_as_someone_else_says_whom_it_signs_in(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    """A shared computer, admin.demo signed in, Ana's reset link opened: the page says that the new
    password signs in as ana.demo instead (it replaced the session without a word); Ana herself, signed
    in, is not told anything."""
    await ask_for_a_link(client, "ana.demo")
    [message] = await mailbox.wait_for(1)
    link = reset_link(message)
    assert (await submit_sign_in(client, "admin.demo", "demo-password-admin")).status_code == 303
    form = await client.get(link)
    notice = "You are signed in as <strong>admin.demo</strong>. Creating this password signs you in as"
    assert notice in form.text and "<strong>ana.demo</strong> instead." in form.text
    refused = await submit(client, "/password/reset", {"token": link_token(link), "password": "short"})
    assert refused.status_code == 422 and notice in refused.text  # still said with the form's errors
    await submit(client, "/sign-out")
    assert (await submit_sign_in(client, *ANA)).status_code == 303
    assert "You are signed in as" not in (await client.get(link)).text


async def test_a_user_never_activated_gets_a_new_activation_link(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any
) -> None:
    """María registered and lost the email (her holder's registration now says "already registered by its
    holder… use Forgotten your password?"): asking for a new password brings a new activation link."""
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")
    [first] = await mailbox.wait_for(1)
    async with browser(app, OTHER_IP) as later:
        await ask_for_a_link(later, "Maria@Example.com")
        messages = await mailbox.wait_for(2)
        assert len(messages) == 2 and messages[1]["To"] == "maria@example.com"
        link = activation_link(messages[1])
        assert (
            heading((await later.get(activation_link(first))).text)
            == "This link has been replaced by a newer one"
        )
        done = await submit(later, "/activate", {"token": link_token(link), "password": NEW_PASSWORD})
        assert done.status_code == 303
        assert done.headers["location"] == "/account?done=activation"
    assert (await user_row("maria.garcia"))["activated_at"] is not None
