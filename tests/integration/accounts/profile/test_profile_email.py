"""Change your email address: a link to the new address, a notice to the current one, and the address
changes only when the link is used (signed in as the same user, once, within 24 hours). An address
another user has gets the same answer, and no link."""

import base64
import datetime as dt
import html
import re
from typing import Any

from litestar import Litestar

from portal import clock
from portal.accounts.profile_services import (
    EMAIL_CHANGE_PER_USER,
    EMAIL_CHANGES_TOO_OFTEN,
    TOO_MANY_WRONG,
    WRONG_PASSWORD,
)
from portal.db.tables import Attempt, EmailToken, User
from portal.db.tables.auth import TokenPurpose
from tests.conftest import submit
from tests.integration.accounts.helpers import (
    ADMIN,
    ANA,
    MARIA,
    OTHER_IP,
    audit_events,
    browser,
    complete_registration,
    error_messages,
    field_value,
    heading,
    sha256,
    submit_sign_in,
    user_row,
)
from tests.integration.accounts.profile.profile_steps import (
    ANA_EMAIL,
    confirm_link,
    emails,
    notification_text,
    signed_in,
)

NEW = "ana.new@example.org"


async def ask(client: Any, email: str, password: str = ANA[1]) -> Any:
    return await submit(client, "/account/email", {"email": email, "current_password": password})


async def test_the_link_goes_to_the_new_address_and_the_notice_to_the_current_one(
    client: Any, demo: None
) -> None:
    await signed_in(client, *ANA)
    form = await client.get("/account/email")
    assert form.status_code == 200
    assert heading(form.text) == "Change your email address"
    assert ANA_EMAIL in form.text

    response = await ask(client, "Ana.New@Example.org")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/email?sent=true"
    page = await client.get(response.headers["location"])
    assert notification_text(page.text) == "Check your email to confirm the new address"
    assert "data-notification-autofocus" in page.text

    [confirm] = await emails("email_change_confirm")
    [notice] = await emails("email_change_notice")
    assert confirm["to_address"] == NEW
    assert notice["to_address"] == ANA_EMAIL
    assert "a••••@example.org" in notice["body_text"]
    assert "/account/email/confirm" not in notice["body_text"]
    # Nothing changes until the link is used; only a hash of its token is stored.
    assert (await user_row("ana.demo"))["email"] == ANA_EMAIL
    token = confirm_link(confirm["body_text"]).split("token=", 1)[1]
    [row] = await EmailToken.select().where(EmailToken.purpose == TokenPurpose.email_change)
    assert row["token_hash"] == sha256(token)
    assert row["expires_at"] - row["created_at"] == dt.timedelta(hours=24)
    [event] = await audit_events("email_change.requested")
    assert event["detail"] == {"address_in_use": False}


async def test_using_the_link_changes_the_address_once(client: Any, app: Litestar, demo: None) -> None:
    await signed_in(client, *ANA)
    await ask(client, NEW)
    [confirm] = await emails("email_change_confirm")
    link = confirm_link(confirm["body_text"])

    page = await client.get(link)
    assert page.status_code == 200
    assert heading(page.text) == "Confirm your new email address"
    assert NEW in page.text
    assert (await user_row("ana.demo"))["email"] == ANA_EMAIL  # GET changes nothing

    token = html.unescape(link).split("token=", 1)[1]
    done = await submit(client, "/account/email/confirm", {"token": token})
    assert done.status_code == 303
    assert done.headers["location"] == "/account/email?changed=true"
    changed = await client.get(done.headers["location"])
    assert notification_text(changed.text) == "Your email address has been changed"
    assert NEW in changed.text
    assert (await user_row("ana.demo"))["email"] == NEW
    assert len(await audit_events("email_change.completed")) == 1

    # The link worked once.
    again = await submit(client, "/account/email/confirm", {"token": token})
    assert again.status_code == 422
    assert heading(again.text) == "This link has already been used"
    assert heading((await client.get(link)).text) == "This link has already been used"
    assert len(await audit_events("email_change.completed")) == 1

    # The new address signs in; the old one no longer does.
    async with browser(app, OTHER_IP) as other:
        assert (await submit_sign_in(other, NEW, ANA[1])).status_code == 303
    async with browser(app, OTHER_IP) as other:
        assert (await submit_sign_in(other, ANA_EMAIL, ANA[1])).status_code == 422


async def test_the_link_asks_to_sign_in_first_and_comes_back(client: Any, app: Litestar, demo: None) -> None:
    await signed_in(client, *ANA)
    await ask(client, NEW)
    [confirm] = await emails("email_change_confirm")
    link = confirm_link(confirm["body_text"])

    async with browser(app, OTHER_IP) as phone:
        response = await phone.get(link, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith(
            "/sign-in?next=%2Faccount%2Femail%2Fconfirm%3Ftoken%3D"
        )
        sign_in_page = await phone.get(response.headers["location"])
        hidden = re.search(r'<input type="hidden" name="next" value="([^"]*)">', sign_in_page.text)
        assert hidden is not None
        target = html.unescape(hidden.group(1))
        assert target == link
        back = await submit_sign_in(phone, ANA[0], ANA[1], next_path=target)
        assert back.status_code == 303
        assert back.headers["location"] == link
        assert heading((await phone.get(link)).text) == "Confirm your new email address"


async def test_a_link_of_another_user_is_not_valid(client: Any, app: Litestar, demo: None) -> None:
    await signed_in(client, *ANA)
    await ask(client, NEW)
    [confirm] = await emails("email_change_confirm")
    link = confirm_link(confirm["body_text"])
    token = link.split("token=", 1)[1]

    async with browser(app, OTHER_IP) as admin:
        await signed_in(admin, *ADMIN)
        assert heading((await admin.get(link)).text) == "This link is not valid"
        refused = await submit(admin, "/account/email/confirm", {"token": token})
        assert refused.status_code == 422
        assert heading(refused.text) == "This link is not valid"
    assert (await user_row("ana.demo"))["email"] == ANA_EMAIL
    assert (await user_row("admin.demo"))["email"] != NEW


async def test_the_address_in_the_link_cannot_be_altered(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    await ask(client, NEW)
    [confirm] = await emails("email_change_confirm")
    token = confirm_link(confirm["body_text"]).split("token=", 1)[1]
    secret, _, _ = token.partition(".")
    forged = secret + "." + base64.urlsafe_b64encode(b"attacker@example.net").decode().rstrip("=")
    assert (
        heading((await client.get(f"/account/email/confirm?token={forged}")).text) == "This link is not valid"
    )
    refused = await submit(client, "/account/email/confirm", {"token": forged})
    assert refused.status_code == 422
    assert (await user_row("ana.demo"))["email"] == ANA_EMAIL


async def test_the_link_expires_after_24_hours(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    await ask(client, NEW)
    [confirm] = await emails("email_change_confirm")
    link = confirm_link(confirm["body_text"])
    await EmailToken.update({EmailToken.expires_at: clock.now() - dt.timedelta(seconds=1)}, force=True)
    assert heading((await client.get(link)).text) == "This link has expired"
    refused = await submit(client, "/account/email/confirm", {"token": link.split("token=", 1)[1]})
    assert refused.status_code == 422
    assert heading(refused.text) == "This link has expired"
    assert (await user_row("ana.demo"))["email"] == ANA_EMAIL


async def test_a_newer_request_replaces_the_older_link(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    await ask(client, NEW)
    await ask(client, "ana.other@example.org")
    first, second = await emails("email_change_confirm")
    assert heading((await client.get(confirm_link(first["body_text"]))).text) == (
        "This link has been replaced by a newer one"
    )
    token = confirm_link(second["body_text"]).split("token=", 1)[1]
    assert (await submit(client, "/account/email/confirm", {"token": token})).status_code == 303
    assert (await user_row("ana.demo"))["email"] == "ana.other@example.org"


async def test_an_address_in_use_gets_the_same_answer_and_no_link(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    admin_email = (await user_row("admin.demo"))["email"]
    taken = await ask(client, admin_email.upper())
    free = await ask(client, NEW)
    assert taken.status_code == free.status_code == 303
    assert taken.headers["location"] == free.headers["location"] == "/account/email?sent=true"

    [link_email] = await emails("email_change_confirm")
    assert link_email["to_address"] == NEW
    [owner_told] = await emails("email_change_taken")
    assert owner_told["to_address"] == admin_email
    assert "token=" not in owner_told["body_text"] and "ana.demo" not in owner_told["body_text"]
    assert len(await emails("email_change_notice")) == 2  # the current address hears of both requests
    assert [e["detail"]["address_in_use"] for e in await audit_events("email_change.requested")] == [
        True,
        False,
    ]


async def test_an_address_whose_user_was_never_activated_is_not_in_use(
    client: Any, app: Litestar, demo: None
) -> None:
    """Someone registered Ana's new address and never activated it: it does not hold the address. Ana's
    change goes as with a free address, and using the link removes that user."""
    async with browser(app, OTHER_IP) as stranger:
        await complete_registration(stranger, "private", MARIA, "squatter", NEW)
    await signed_in(client, *ANA)
    await ask(client, NEW)
    assert await emails("email_change_taken") == []
    [confirm] = await emails("email_change_confirm")
    assert confirm["to_address"] == NEW
    done = await submit(
        client, "/account/email/confirm", {"token": confirm_link(confirm["body_text"]).split("token=", 1)[1]}
    )
    assert done.status_code == 303
    assert (await user_row("ana.demo"))["email"] == NEW
    assert not await User.exists().where(User.username == "squatter")


async def test_an_address_taken_before_the_link_is_used_is_refused(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    await ask(client, NEW)
    [confirm] = await emails("email_change_confirm")
    await User.update({User.email: NEW}).where(User.username == "admin.demo")
    refused = await submit(
        client, "/account/email/confirm", {"token": confirm_link(confirm["body_text"]).split("token=", 1)[1]}
    )
    assert refused.status_code == 422
    assert "This email address is now used by another user" in " ".join(error_messages(refused.text))
    assert (await user_row("ana.demo"))["email"] == ANA_EMAIL


async def test_messages_next_to_the_fields_and_input_kept(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    empty = await ask(client, "", "")
    assert empty.status_code == 422
    assert error_messages(empty.text) == ["Enter your email address", "Enter your current password"]
    assert "<title>Error: Change your email address" in empty.text

    malformed = await ask(client, "ana.new@", ANA[1])
    assert error_messages(malformed.text) == [
        "Enter an email address in the correct format, like name@example.com"
    ]
    assert field_value(malformed.text, "email") == "ana.new@"
    assert field_value(malformed.text, "current_password") is None  # passwords are never sent back
    assert 'aria-describedby="email-error"' in malformed.text

    same = await ask(client, ANA_EMAIL.upper())
    assert error_messages(same.text) == ["This is already your email address: enter the new one"]

    wrong = await ask(client, NEW, "not my password")
    assert wrong.status_code == 422
    assert error_messages(wrong.text) == [WRONG_PASSWORD]
    assert field_value(wrong.text, "email") == NEW
    assert await emails() == []
    assert len(await audit_events("profile.password_wrong")) == 1


async def test_wrong_current_passwords_are_throttled(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    for _ in range(5):
        assert error_messages((await ask(client, NEW, "not my password")).text) == [WRONG_PASSWORD]
    blocked = await ask(client, NEW)  # even the right password, for now
    assert blocked.status_code == 422
    assert error_messages(blocked.text) == [TOO_MANY_WRONG]
    assert await emails() == []
    assert len(await audit_events("profile.password_throttled")) == 1
    # The password form shares the count.
    refused = await submit(
        client, "/account/password", {"current_password": ANA[1], "new_password": "lighthouse marmalade 9"}
    )
    assert error_messages(refused.text) == [TOO_MANY_WRONG]


async def test_requests_are_limited_per_user(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    for number in range(5):
        assert (await ask(client, f"ana.{number}@example.org")).status_code == 303
    blocked = await ask(client, "ana.more@example.org")
    assert blocked.status_code == 422
    assert error_messages(blocked.text) == [EMAIL_CHANGES_TOO_OFTEN]
    assert field_value(blocked.text, "email") == "ana.more@example.org"
    assert len(await emails("email_change_confirm")) == 5
    assert len(await audit_events("email_change.throttled")) == 1


async def test_an_address_too_long_once_lower_cased_is_refused_and_not_counted(
    client: Any, demo: None
) -> None:
    """ "İ" lower-cased is "i" and a combining dot: 212 characters typed, 412 stored. The address is checked
    as it would be stored, refused next to its field, and the refused request is not counted against the
    user's limit."""
    await signed_in(client, *ANA)
    typed = "İ" * 200 + "@example.com"
    response = await ask(client, typed)
    assert response.status_code == 422
    assert error_messages(response.text) == [
        "Enter an email address in the correct format, like name@example.com"
    ]
    assert field_value(response.text, "email") == typed
    assert await emails() == []
    ana = await user_row("ana.demo")
    assert await Attempt.count().where(Attempt.key == EMAIL_CHANGE_PER_USER.key(str(ana["id"]))) == 0


async def test_the_current_address_in_another_form_is_the_same_address(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    response = await ask(
        client, "ＡＮＡ.ＤＥＭＯ＠ｅｘａｍｐｌｅ.ｃｏｍ"
    )  # full-width, as an input method may type it
    assert error_messages(response.text) == ["This is already your email address: enter the new one"]
