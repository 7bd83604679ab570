"""Registration's limits, so that nobody can use it to flood an inbox or to find out which usernames exist:
the emails sent to one address (whichever draft, user or client asks for them), the drafts started and the
registrations completed per client address, and the usernames answered "taken" per client address. And an
address that someone registered without activating it does not lock its owner out."""

import asyncio
import datetime as dt
import re
from typing import Any

import pytest
from litestar import Litestar

from portal import clock
from portal.db.tables import AccountAccess, RegistrationDraft, User
from tests.conftest import all_mail_sent, other_transaction, submit
from tests.integration.accounts.helpers import (
    HORNO,
    MARIA,
    OTHER_IP,
    activation_link,
    audit_events,
    browser,
    complete_registration,
    error_messages,
    field_value,
    heading,
    is_checked,
    link_token,
    register_until_check,
    start_registration,
    user_row,
)

SEVERAL_EMAILS = (
    "We have sent several emails to this address recently. Check your inbox and spam folder, or try again"
    " later"
)
TOO_MANY_REQUESTS = "Too many requests. Wait an hour and try again"
EMAIL_CHANGED = (
    "Your email address was changed in another window while you were registering. Check your answers and"
    " register again"
)
TAKEN = "This username is already taken: choose another"
VICTIM = "victim@example.org"


async def register_and_resend(app: Litestar, ip: str, username: str, email: str) -> None:
    """What the audit's script did with each draft: an administrator's registration with a bill of its own
    and someone else's address, then "Send the email again" three times."""
    async with browser(app, ip) as someone:
        await register_until_check(someone, "administrator", MARIA, username, email)
        await submit(someone, "/register/check")
        for _ in range(3):
            await submit(someone, "/register/resend")


async def test_registering_an_address_again_and_again_sends_it_four_emails_an_hour_and_ten_a_day(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any, frozen_clock: dt.datetime
) -> None:
    """Two drafts an hour for four hours, each from a client address of its own: without the limits that
    made 32 emails (the audit's finding F1)."""
    for hour in range(4):
        with clock.frozen_at(frozen_clock + dt.timedelta(hours=hour, minutes=hour)):
            for draft in range(2):
                await register_and_resend(
                    app, f"198.51.100.{10 * hour + draft}", f"spam{hour}{draft}", VICTIM
                )

    assert await all_mail_sent() == 10  # 4 in the first hour, 4 in the second, the day's last 2 in the third
    assert [message["To"] for message in mailbox.messages] == [VICTIM] * 10
    assert len(await audit_events("registration.address_throttled")) > 0


async def test_an_address_changed_in_another_tab_during_the_registration_gets_nothing_uncounted(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any
) -> None:
    """The registration counts its email against the draft's address before its transaction; another tab's
    user details that change the address in between must not get an email past the new address's limits."""
    await register_and_resend(app, "198.51.100.40", "first", VICTIM)  # the victim's four emails this hour
    assert await all_mail_sent() == 4
    await register_until_check(client, "administrator", MARIA, "decoy", "decoy@example.org")
    [draft] = await RegistrationDraft.select(RegistrationDraft.id).where(
        RegistrationDraft.username == "decoy"
    )

    async with other_transaction() as other_tab:
        # The other tab's user details, written while the registration counts the decoy's emails.
        await other_tab.execute("UPDATE registration_draft SET email = $1 WHERE id = $2", VICTIM, draft["id"])
        registering = asyncio.create_task(submit(client, "/register/check"))
        await other_tab.blocks_another()  # on the draft
    answer = await registering

    assert answer.status_code == 422
    assert error_messages(answer.text) == [EMAIL_CHANGED]
    assert VICTIM in answer.text  # the check page shows the address the draft has now
    assert await all_mail_sent() == 4
    assert not await User.exists().where(User.username == "decoy")
    # Sent again, the registration is counted against the victim's address, and refused by it.
    again = await submit(client, "/register/check")
    assert error_messages(again.text) == [SEVERAL_EMAILS]


async def test_user_details_from_a_stale_tab_do_not_rewrite_a_completed_registration(
    client: Any, demo: None
) -> None:
    """Another tab completes the registration while this one's user details are on their way: the draft
    keeps the address its email went to, which "Send the email again" writes to."""
    await register_until_check(client, "administrator", MARIA, "first", "sent.to@example.org")
    [draft] = await RegistrationDraft.select(RegistrationDraft.id).where(
        RegistrationDraft.username == "first"
    )

    async with other_transaction() as other_tab:
        await other_tab.execute(
            "UPDATE registration_draft SET completed_at = now() WHERE id = $1", draft["id"]
        )
        details = {"username": "second", "email": VICTIM, "privacy": "true"}
        saving = asyncio.create_task(submit(client, "/register/user-details", details))
        await other_tab.blocks_another()  # on the draft
    await saving

    row = await RegistrationDraft.select().where(RegistrationDraft.id == draft["id"]).first()
    assert (row["username"], row["email"]) == ("first", "sent.to@example.org")


def _masked(page: str, *typed: str) -> str:
    """The page with what was typed (address, username) and the CSRF tokens (one per browser) left out."""
    page = re.sub(r'name="_csrf_token" value="[^"]*"|"x-csrftoken": "[^"]*"', "", page)
    for value in typed:
        page = page.replace(value, "TYPED")
    return page


async def test_at_its_limit_an_address_gets_the_same_answer_whether_or_not_it_has_a_user(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any
) -> None:
    """ana.demo@example.com has an activated user (its registrations get "already registered" emails), the
    other address none (activation emails): the refusals read the same, on the email page's "Send the
    email again" and on the check page's "Register and send the email"."""
    pages = {}
    for who, email, ip in (
        ("free", "somebody.new@example.org", "198.51.100.31"),
        ("taken", "ana.demo@example.com", "198.51.100.32"),
    ):
        async with browser(app, ip) as first, browser(app, ip) as second, browser(app, ip) as third:
            for someone, username in ((first, f"{who}.first"), (second, f"{who}.second")):
                await register_until_check(someone, "administrator", MARIA, username, email)
                assert (await submit(someone, "/register/check")).status_code == 303
                assert (await submit(someone, "/register/resend")).status_code == 303
            audited = len(await audit_events())
            resend = await submit(second, "/register/resend")  # the address's fifth email in the hour
            assert resend.status_code == 422
            assert error_messages(resend.text) == [SEVERAL_EMAILS]
            # Audited once, as the address's refusal (an activation's resend with its user).
            [refusal] = (await audit_events())[audited:]
            assert refusal["event"] == "registration.address_throttled"
            assert refusal["user"] == (None if who == "taken" else (await user_row(f"{who}.second"))["id"])

            await register_until_check(third, "administrator", MARIA, f"{who}.third", email)
            check = await submit(third, "/register/check")
            assert check.status_code == 422
            assert error_messages(check.text) == [SEVERAL_EMAILS]
            assert f"{who}.third" in check.text and email in check.text  # the answers are all still there
            pages[who] = [_masked(resend.text, email), _masked(check.text, email, f"{who}.third")]

    assert pages["free"] == pages["taken"]
    assert await all_mail_sent() == 8
    assert (
        sorted(message["To"] for message in mailbox.messages)
        == ["ana.demo@example.com"] * 4 + ["somebody.new@example.org"] * 4
    )
    assert not await User.exists().where(User.username == "free.third")


@pytest.mark.parametrize(
    "later", [dt.timedelta(minutes=5), dt.timedelta(hours=25)], ids=["pending", "expired"]
)
async def test_the_owner_of_an_address_registers_it_after_a_stranger_did_without_activating(
    client: Any,
    app: Litestar,
    demo: None,
    worker: Any,
    mailbox: Any,
    frozen_clock: dt.datetime,
    later: dt.timedelta,
) -> None:
    """A stranger registers with María's address (their own bill, as an administrator) and never activates,
    their link still valid or expired: María registers with it as if nobody had. The stranger's user goes,
    its link with it; what the audit recorded of it stays."""
    async with browser(app, OTHER_IP) as stranger:
        await complete_registration(stranger, "administrator", HORNO, "squatter", "maria@example.com")
    squatter = await user_row("squatter")
    [squatters_email] = await mailbox.wait_for(1)

    with clock.frozen_at(frozen_clock + later):
        await complete_registration(client, "private", MARIA, "maria.garcia", "Maria@example.com")
        messages = await mailbox.wait_for(2)
        assert len(messages) == 2 and messages[1]["To"] == "maria@example.com"
        link = activation_link(messages[1])  # an activation link: not "this address already has a user"
        assert not await User.exists().where(User.username == "squatter")
        assert not await AccountAccess.exists().where(AccountAccess.user == squatter["id"])
        assert heading((await client.get(activation_link(squatters_email))).text) == "This link is not valid"

        done = await submit(
            client, "/activate", {"token": link_token(link), "password": "river copper 42 lantern"}
        )
        assert done.status_code == 303
        home = await client.get(done.headers["location"])
        assert "Signed in as maria.garcia" in home.text and "0001000017" in home.text

    [stranger_registered, _maria_registered] = await audit_events("registration.completed")
    assert stranger_registered["user"] is None and stranger_registered["ip"] == OTHER_IP
    assert stranger_registered["detail"]["user_id"] == squatter["id"]
    [replaced] = await audit_events("registration.unactivated_replaced")
    assert replaced["detail"] == {"replaced_user_id": squatter["id"]}


async def test_usernames_answered_taken_are_limited_per_client_address(
    client: Any, app: Litestar, demo: None
) -> None:
    """After one bill check, "already taken" would tell anyone which usernames exist (the audit's F9): a
    client address gets 20 such answers an hour, then every username gets the same refusal."""

    async def user_details(someone: Any, username: str) -> Any:
        return await submit(
            someone,
            "/register/user-details",
            {"username": username, "email": "x@example.org", "privacy": "true"},
        )

    await register_until_check(client, "administrator", MARIA, "first.choice", "x@example.org")
    for _ in range(20):
        taken = await user_details(client, "ana.demo")
        assert taken.status_code == 422
        assert error_messages(taken.text) == [TAKEN]
    for username in ("ana.demo", "nobody.has.this"):
        refused = await user_details(client, username)
        assert refused.status_code == 422
        assert error_messages(refused.text) == [TOO_MANY_REQUESTS]
        assert field_value(refused.text, "username") == username  # kept, to try again later

    # Another client address is answered as usual.
    async with browser(app, OTHER_IP) as other:
        await register_until_check(other, "administrator", MARIA, "nobody.has.this", "y@example.org")
        assert error_messages((await user_details(other, "ana.demo")).text) == [TAKEN]
    assert len(await audit_events("registration.throttled")) == 2


async def test_drafts_started_are_limited_per_client_address(client: Any, app: Litestar, demo: None) -> None:
    for _ in range(20):
        client.cookies.clear()  # a new draft each time (with one in progress, its type would change instead)
        await start_registration(client, "administrator")
    client.cookies.clear()
    refused = await submit(client, "/register", {"kind": "administrator"})
    assert refused.status_code == 422
    assert error_messages(refused.text) == [TOO_MANY_REQUESTS]
    assert is_checked(refused.text, "kind-3")  # the administrator's type, as chosen

    async with browser(app, OTHER_IP) as other:
        await start_registration(other, "administrator")


async def test_registrations_completed_are_limited_per_client_address(
    client: Any, app: Litestar, demo: None
) -> None:
    for number in range(10):
        await complete_registration(
            client, "administrator", MARIA, f"manager{number}", f"m{number}@example.org"
        )
    await register_until_check(client, "administrator", MARIA, "manager10", "m10@example.org")
    refused = await submit(client, "/register/check")
    assert refused.status_code == 422
    assert error_messages(refused.text) == [TOO_MANY_REQUESTS]
    assert "manager10" in refused.text  # the answers are still there
    assert not await User.exists().where(User.username == "manager10")

    async with browser(app, OTHER_IP) as other:
        await complete_registration(other, "administrator", MARIA, "manager10", "m10@example.org")
