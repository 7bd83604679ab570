"""Forgotten password: the same answer for known and unknown users, sent before the link is made (so in
the same time: security finding F9), a one-hour link that sets a new password, signs the user in and
ends their other sessions; a user never activated gets a new activation link instead."""

import asyncio
import datetime as dt
import time
from typing import Any

import pytest
from litestar import Litestar

from portal import clock
from portal.db.tables import EmailToken, OutboxEmail, Session
from portal.db.tables.auth import TokenPurpose
from tests.conftest import all_mail_sent, other_transaction, served, submit, wait_until
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


HOLD_ANA = "SELECT 1 FROM portal_user WHERE username = 'ana.demo' FOR UPDATE"
"""Ana's user row, held: her reset link's token (a row that refers to it) waits for it."""


async def test_the_answer_is_sent_before_the_link_is_made(
    app: Litestar, demo: None, worker: Any, mailbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The answer's time must not tell whether the user exists, and the link takes longer to make than
    nothing: the server sends the answer first (as `portal serve`'s uvicorn does) and makes the link
    after it. So, while another transaction holds Ana's row, she has the answer; the email comes once
    the row is free."""
    async with served(app) as http:
        async with other_transaction() as holder:
            await holder.execute(HOLD_ANA)
            asked = time.perf_counter()
            answer = asyncio.create_task(ask_for_a_link(http, "ana.demo"))
            await holder.blocks_another()  # the link, waiting for the row
            # Already sent by now: the bound only ends a failing run (an answer that waits for the link).
            assert (await asyncio.wait_for(answer, 10)).headers["location"] == "/password/forgotten/sent"
            waited = time.perf_counter() - asked
            assert await OutboxEmail.count() == 0
            await asyncio.sleep(0.2)  # the link waits on: what the request's log line must not count
        [message] = await mailbox.wait_for(1)
    assert message["To"] == "ana.demo@example.com"
    assert reset_link(message)
    # The request's log line (and its latency in the metrics) is the time the person waited, within the
    # client's own: the server's clock starts after the client sent and stops before the client received.
    [logged] = [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg["event"] == "request" and r.msg["path"] == "/password/forgotten"
    ]
    assert logged["duration_ms"] / 1000 <= waited


async def test_a_link_that_fails_after_the_answer_is_logged(
    app: Litestar, demo: None, worker: Any, mailbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure of the link (here its database connection ends) is no error page for the person, who
    has had the answer: it is logged, with the request's id and without what was typed, and the portal
    goes on answering."""
    async with served(app) as http:
        async with other_transaction() as holder:
            await holder.execute(HOLD_ANA)
            answer = asyncio.create_task(ask_for_a_link(http, "ana.demo"))
            await holder.ends_the_blocked()
            request_id = (await answer).headers["x-request-id"]

        async def failure_logged() -> list[Any]:
            return [
                r
                for r in caplog.records
                if isinstance(r.msg, dict) and r.msg["event"] == "password_reset.failed"
            ]

        [failure] = await wait_until(failure_logged)
        assert failure.levelname == "ERROR"
        assert failure.msg["request_id"] == request_id
        assert "ana.demo" not in caplog.text
        assert await OutboxEmail.count() == 0
        assert (await ask_for_a_link(http, "admin.demo")).status_code == 303
        [message] = await mailbox.wait_for(1)
    assert message["To"] == "admin.demo@example.com"


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
