"""Change your password: the current one first (throttled), the new one by the same rules as everywhere;
then every other session ends, this browser gets a new session id, waiting links stop working, and an
email says the password was changed."""

import asyncio
from typing import Any

from litestar import Litestar

from portal.accounts.profile_services import TOO_MANY_WRONG, WRONG_PASSWORD
from portal.db.tables import EmailToken, Session
from portal.db.tables.auth import TokenPurpose
from tests.conftest import submit
from tests.integration.accounts.helpers import (
    ANA,
    OTHER_IP,
    SESSION_COOKIE,
    audit_events,
    browser,
    error_messages,
    field_value,
    heading,
    session_rows,
    sha256,
    submit_sign_in,
    user_row,
)
from tests.integration.accounts.profile.profile_steps import (
    ANA_EMAIL,
    NEW_PASSWORD,
    emails,
    notification_text,
    signed_in,
)


async def change(client: Any, current: str, new: str) -> Any:
    return await submit(client, "/account/password", {"current_password": current, "new_password": new})


async def test_other_sessions_end_and_this_one_gets_a_new_id(client: Any, app: Litestar, demo: None) -> None:
    old_cookie = await signed_in(client, *ANA)
    form = await client.get("/account/password")
    assert heading(form.text) == "Change your password"
    assert 'autocomplete="current-password"' in form.text and 'autocomplete="new-password"' in form.text

    async with browser(app, OTHER_IP) as other_device:
        await signed_in(other_device, *ANA)
        assert len(await session_rows("ana.demo")) == 2

        done = await change(client, ANA[1], NEW_PASSWORD)
        assert done.status_code == 303
        assert done.headers["location"] == "/account/password?changed=true"
        new_cookie = client.cookies[SESSION_COOKIE]
        assert new_cookie != old_cookie
        [row] = await session_rows("ana.demo")
        assert row["token_hash"] == sha256(new_cookie)
        assert not await Session.exists().where(Session.token_hash == sha256(old_cookie))

        page = await client.get(done.headers["location"], follow_redirects=False)
        assert page.status_code == 200
        assert notification_text(page.text) == "Your password has been changed"

        # The other device is signed out.
        response = await other_device.get("/account", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")
        # The old password no longer works; the new one does.
        assert (await submit_sign_in(other_device, *ANA)).status_code == 422
        assert (await submit_sign_in(other_device, ANA[0], NEW_PASSWORD)).status_code == 303

    assert (await user_row("ana.demo"))["password_hash"].startswith("$argon2id$")
    [notice] = await emails("password_changed")
    assert notice["to_address"] == ANA_EMAIL
    assert "Your password was changed" in notice["body_text"]
    assert NEW_PASSWORD not in notice["body_text"]
    [event] = await audit_events("password.changed")
    assert NEW_PASSWORD not in str(event) and ANA[1] not in str(event)


async def test_a_replayed_old_session_cookie_is_ignored(client: Any, app: Litestar, demo: None) -> None:
    old_cookie = await signed_in(client, *ANA)
    assert (await change(client, ANA[1], NEW_PASSWORD)).status_code == 303
    async with browser(app, OTHER_IP) as thief:
        thief.cookies.set(SESSION_COOKIE, old_cookie)
        response = await thief.get("/account/password", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")


async def test_waiting_reset_and_email_links_stop_working(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    assert (await submit(client, "/password/forgotten", {"login": "ana.demo"})).status_code == 303
    assert (
        await submit(client, "/account/email", {"email": "ana.new@example.org", "current_password": ANA[1]})
    ).status_code == 303
    assert (await change(client, ANA[1], NEW_PASSWORD)).status_code == 303
    rows = await EmailToken.select().where(
        EmailToken.purpose.is_in([TokenPurpose.password_reset, TokenPurpose.email_change])
    )
    assert len(rows) == 2
    assert all(row["cancelled_at"] is not None for row in rows)


async def test_the_new_password_follows_the_rules(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    for new, problem in (
        ("", "Enter a password"),
        ("short", "Your password must be at least 8 characters (15 or more is better)"),
        ("x" * 129, "Your password must be 128 characters or fewer"),
        ("ana.demo", "Your password must not be your username or email address"),
        (ANA_EMAIL, "Your password must not be your username or email address"),
        (
            "Password123",
            "This password is too common and easy to guess: choose another, such as three random words",
        ),
        (ANA[1], "Your new password must be different from your current password"),
    ):
        response = await change(client, ANA[1], new)
        assert response.status_code == 422, new
        assert error_messages(response.text) == [problem], new
        assert "<title>Error: Change your password" in response.text
        assert 'aria-describedby="new_password-hint new_password-error"' in response.text
        assert field_value(response.text, "new_password") is None  # never sent back
    assert len(await session_rows("ana.demo")) == 1
    assert await emails() == []
    # 64 characters and more are accepted.
    assert (await change(client, ANA[1], "a long passphrase " * 4)).status_code == 303


async def test_a_wrong_current_password_changes_nothing(client: Any, demo: None) -> None:
    cookie = await signed_in(client, *ANA)
    before = (await user_row("ana.demo"))["password_hash"]
    empty = await change(client, "", "")
    assert error_messages(empty.text) == ["Enter your current password", "Enter a password"]
    wrong = await change(client, "not my password", NEW_PASSWORD)
    assert wrong.status_code == 422
    assert error_messages(wrong.text) == [WRONG_PASSWORD]
    assert (await user_row("ana.demo"))["password_hash"] == before
    assert client.cookies[SESSION_COOKIE] == cookie
    assert len(await audit_events("profile.password_wrong")) == 1
    assert await emails() == []


async def test_wrong_current_passwords_are_throttled_per_user(client: Any, app: Litestar, demo: None) -> None:
    await signed_in(client, *ANA)
    for _ in range(5):
        assert error_messages((await change(client, "not my password", NEW_PASSWORD)).text) == [
            WRONG_PASSWORD
        ]
    blocked = await change(client, ANA[1], NEW_PASSWORD)
    assert blocked.status_code == 422
    assert error_messages(blocked.text) == [TOO_MANY_WRONG]
    # Per user, not per browser: another session of the same user is blocked too.
    async with browser(app, OTHER_IP) as other_device:
        await signed_in(other_device, *ANA)
        again = await change(other_device, ANA[1], NEW_PASSWORD)
        assert error_messages(again.text) == [TOO_MANY_WRONG]
    assert (await submit_sign_in(client, *ANA)).status_code == 303  # the password did not change
    assert len(await audit_events("profile.password_throttled")) == 2


async def test_a_burst_of_wrong_current_passwords_gets_no_more_checks_than_the_limit(
    client: Any, demo: None
) -> None:
    """Eight wrong current passwords at once, from one user: each is counted before it is checked, so no
    more than five are checked."""
    await signed_in(client, *ANA)
    responses = await asyncio.gather(
        *(change(client, f"not my password {n}", NEW_PASSWORD) for n in range(8))
    )
    answers = [error_messages(response.text) for response in responses]
    assert set(map(tuple, answers)) <= {(WRONG_PASSWORD,), (TOO_MANY_WRONG,)}, answers
    assert answers.count([WRONG_PASSWORD]) <= 5, answers
    assert len(await audit_events("profile.password_wrong")) == answers.count([WRONG_PASSWORD])
