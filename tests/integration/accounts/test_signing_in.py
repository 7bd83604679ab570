"""Sign in: by username or email, one answer for every failure, throttles per account and per address,
only activated users, and redirects only within the site."""

import asyncio
import datetime as dt
import re
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from litestar import Litestar

from portal import clock
from portal.accounts.passwords import TOO_BUSY, hash_password
from portal.accounts.signing_in import SIGN_IN_FAILED, SIGN_IN_THROTTLED
from portal.accounts.throttle import SIGN_IN_PER_IP
from portal.db.tables import Attempt, User
from tests.conftest import csrf_token, submit
from tests.integration.accounts.helpers import (
    ADMIN,
    ANA,
    MARIA,
    OTHER_IP,
    SESSION_COOKIE,
    audit_events,
    browser,
    complete_registration,
    error_messages,
    field_value,
    link_token,
    reset_link,
    submit_sign_in,
)


async def test_success_sets_a_session_and_shows_who_is_signed_in(client: Any, demo: None) -> None:
    response = await submit_sign_in(client, *ANA)
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    assert SESSION_COOKIE in client.cookies
    home = await client.get("/account", follow_redirects=False)
    assert home.status_code == 200
    assert "Signed in as ana.demo" in home.text


async def test_wrong_password_and_unknown_user_get_the_same_answer(client: Any, demo: None) -> None:
    wrong_password = await submit_sign_in(client, "ana.demo", "not-her-password")
    unknown_user = await submit_sign_in(client, "nobody.here", "not-her-password")
    assert wrong_password.status_code == unknown_user.status_code == 422
    assert error_messages(wrong_password.text) == error_messages(unknown_user.text) == [SIGN_IN_FAILED]
    # The username is shown back; the password never is.
    assert field_value(wrong_password.text, "username") == "ana.demo"
    assert field_value(wrong_password.text, "password") is None
    assert "not-her-password" not in wrong_password.text
    assert SESSION_COOKIE not in client.cookies


async def test_sign_in_by_email_whatever_its_case(client: Any, demo: None) -> None:
    response = await submit_sign_in(client, "Ana.Demo@Example.com", ANA[1])
    assert response.status_code == 303
    home = await client.get("/account")
    assert "Signed in as ana.demo" in home.text


async def test_five_failures_block_the_account_from_that_address_even_with_the_right_password(
    client: Any, app: Litestar, demo: None
) -> None:
    for attempt in range(5):
        response = await submit_sign_in(client, "ana.demo", f"wrong password {attempt}")
        assert error_messages(response.text) == [SIGN_IN_FAILED]

    refused = await submit_sign_in(client, *ANA)
    assert refused.status_code == 422
    assert error_messages(refused.text) == [SIGN_IN_THROTTLED]
    assert SESSION_COOKIE not in client.cookies
    # Another account signs in from the same address.
    assert (await submit_sign_in(client, *ADMIN)).status_code == 303
    client.cookies.clear()
    # The owner, at another address, is not locked out by the guesses made from this one…
    async with browser(app, OTHER_IP) as owner:
        assert (await submit_sign_in(owner, *ANA)).status_code == 303
    # …and their sign-in does not free this address to guess again.
    refused = await submit_sign_in(client, *ANA)
    assert error_messages(refused.text) == [SIGN_IN_THROTTLED]

    assert len(await audit_events("sign_in.failed")) == 5
    assert len(await audit_events("sign_in.throttled")) == 2


async def test_one_address_pacing_its_guesses_cannot_lock_the_owner_out(
    client: Any, app: Litestar, demo: None, frozen_clock: dt.datetime
) -> None:
    """An address may fail 5 times every 15 minutes: 20 failures in an hour, which stay under the limit
    of the account across every address, so the owner still signs in elsewhere."""
    for quarter in range(4):
        with clock.frozen_at(frozen_clock + quarter * dt.timedelta(minutes=15)):
            for attempt in range(5):
                response = await submit_sign_in(client, "ana.demo", f"wrong password {quarter}-{attempt}")
                assert error_messages(response.text) == [SIGN_IN_FAILED], (quarter, attempt)
            refused = await submit_sign_in(client, "ana.demo", "one more")
            assert error_messages(refused.text) == [SIGN_IN_THROTTLED], quarter
    with clock.frozen_at(frozen_clock + dt.timedelta(minutes=45)):
        async with browser(app, OTHER_IP) as owner:
            assert (await submit_sign_in(owner, *ANA)).status_code == 303
    assert len(await audit_events("sign_in.failed")) == 20


async def test_guesses_spread_over_many_addresses_are_stopped_per_account(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any
) -> None:
    """Five failures from each of five addresses, each at its own limit: 25, the account's limit across
    every address. Then the account waits, from any address and even with the right password."""
    for n in range(5):
        async with browser(app, f"198.51.100.{100 + n}") as guesser:
            responses = await asyncio.gather(
                *(
                    submit_sign_in(guesser, "ana.demo", f"wrong password {n}-{attempt}")
                    for attempt in range(5)
                )
            )
            assert [error_messages(response.text) for response in responses] == [[SIGN_IN_FAILED]] * 5, n
    async with browser(app, OTHER_IP) as owner:
        refused = await submit_sign_in(owner, *ANA)
        assert error_messages(refused.text) == [SIGN_IN_THROTTLED]
        # "Forgotten your password?", which the message offers, still signs the owner in meanwhile.
        assert (await submit(owner, "/password/forgotten", {"login": "ana.demo"})).status_code == 303
        [message] = await mailbox.wait_for(1)
        token = link_token(reset_link(message))
        done = await submit(
            owner, "/password/reset", {"token": token, "password": "harbour violet spindle 7"}
        )
        assert done.headers["location"] == "/account?done=password_reset"
        assert "Signed in as ana.demo" in (await owner.get("/account")).text


async def test_a_burst_of_wrong_passwords_gets_no_more_checks_than_the_limit(
    client: Any, app: Litestar, demo: None
) -> None:
    """Eight wrong passwords for one account from one address at once (as many as the password checks
    admit at once): each is counted before it is checked, so no more than five are checked."""

    async def guess(n: int) -> Any:
        async with browser(app) as guesser:
            return await submit_sign_in(guesser, "ana.demo", f"wrong password {n}")

    responses = await asyncio.gather(*(guess(n) for n in range(8)))
    answers = [error_messages(response.text) for response in responses]
    assert {response.status_code for response in responses} == {422}
    assert set(map(tuple, answers)) <= {(SIGN_IN_FAILED,), (SIGN_IN_THROTTLED,)}, answers
    checked = answers.count([SIGN_IN_FAILED])
    assert checked <= 5, answers
    assert len(await audit_events("sign_in.failed")) == checked
    # Whatever the burst's answers, the address is now held to the rest of its five.
    for attempt in range(5 - checked):
        response = await submit_sign_in(client, "ana.demo", f"wrong password after {attempt}")
        assert error_messages(response.text) == [SIGN_IN_FAILED]
    assert error_messages((await submit_sign_in(client, *ANA)).text) == [SIGN_IN_THROTTLED]


async def test_an_address_refused_by_its_own_limits_adds_nothing_to_the_accounts_count(
    client: Any, app: Litestar, demo: None
) -> None:
    """However many attempts a locked-out address keeps making at once, they never fill the count the
    owner's sign-ins share with every address: the owner signs in elsewhere in the middle of them."""
    for attempt in range(5):
        response = await submit_sign_in(client, "ana.demo", f"wrong password {attempt}")
        assert error_messages(response.text) == [SIGN_IN_FAILED]

    async with AsyncExitStack() as browsers:
        # Every attempt on the form's page first, so that all are posted at once.
        guessers = [await browsers.enter_async_context(browser(app)) for _ in range(40)]
        owner = await browsers.enter_async_context(browser(app, OTHER_IP))
        attempts = [(ANA[0], f"wrong password again {n}", guesser) for n, guesser in enumerate(guessers)]
        posts = []
        for login, password, who in [*attempts, (*ANA, owner)]:
            form = {"_csrf_token": await csrf_token(who), "username": login, "password": password}
            posts.append(who.post("/sign-in", data=form, follow_redirects=False))
        *flood, own = await asyncio.gather(*posts)
    assert own.status_code == 303, error_messages(own.text)
    assert {tuple(error_messages(response.text)) for response in flood} == {(SIGN_IN_THROTTLED,)}


async def test_the_account_limit_counts_sign_ins_by_email_too(client: Any, demo: None) -> None:
    for attempt in range(5):
        await submit_sign_in(client, "ana.demo", f"wrong password {attempt}")
    refused = await submit_sign_in(client, "ana.demo@example.com", ANA[1])
    assert refused.status_code == 422
    assert error_messages(refused.text) == [SIGN_IN_THROTTLED]


async def test_thirty_failures_block_the_address(client: Any, app: Litestar, demo: None) -> None:
    for attempt in range(30):
        response = await submit_sign_in(client, f"guess{attempt}", "wrong password")
        assert error_messages(response.text) == [SIGN_IN_FAILED], attempt

    for user in (ANA, ADMIN):
        refused = await submit_sign_in(client, *user)
        assert error_messages(refused.text) == [SIGN_IN_THROTTLED], user
    async with browser(app, OTHER_IP) as elsewhere:
        response = await submit_sign_in(elsewhere, *ANA)
        assert response.status_code == 303


async def test_a_guesser_signing_in_to_their_own_account_is_still_stopped_at_the_address_limit(
    client: Any, demo: None
) -> None:
    """One password tried on many usernames from one address, with a sign-in to the guesser's own account
    every ten failures: a success forgives that account's failures only, never the address's. The 31st
    failure in 15 minutes is refused, and so is the guesser's own sign-in."""
    for round in range(3):
        for attempt in range(10):
            response = await submit_sign_in(client, f"guess{round}-{attempt}", "summer2026")
            assert error_messages(response.text) == [SIGN_IN_FAILED], (round, attempt)
        if round < 2:
            assert (await submit_sign_in(client, *ANA)).status_code == 303, round
            client.cookies.clear()
    refused = await submit_sign_in(client, "guess-more", "summer2026")
    assert error_messages(refused.text) == [SIGN_IN_THROTTLED]
    own = await submit_sign_in(client, *ANA)
    assert error_messages(own.text) == [SIGN_IN_THROTTLED]


async def test_a_burst_of_sign_ins_is_answered_at_once_rather_than_queued(client: Any, demo: None) -> None:
    """More sign-ins at once than the hashing slots and their short queue: the rest get 429 with when to
    come back, and a page (never a growing wait for everyone)."""
    responses = await asyncio.gather(
        *(submit_sign_in(client, f"burst{n}", "wrong password") for n in range(20))
    )
    statuses = [response.status_code for response in responses]
    assert set(statuses) == {422, 429}, statuses
    # Only the checked ones count against the address: the others made no guess.
    assert await Attempt.count().where(Attempt.key == SIGN_IN_PER_IP.key("203.0.113.10")) == statuses.count(
        422
    )
    busy = next(response for response in responses if response.status_code == 429)
    assert TOO_BUSY in busy.text
    assert busy.headers["retry-after"] == "5"
    assert busy.headers["content-type"].startswith("text/html")


async def test_a_user_not_yet_activated_cannot_sign_in(client: Any, app: Litestar, demo: None) -> None:
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")
    # Even with a password hash in place, no sign-in before activation.
    await User.update({User.password_hash: await hash_password("river copper lantern 42")}).where(
        User.username == "maria.garcia"
    )
    async with browser(app, OTHER_IP) as elsewhere:
        response = await submit_sign_in(elsewhere, "maria.garcia", "river copper lantern 42")
        assert response.status_code == 422
        assert error_messages(response.text) == [SIGN_IN_FAILED]
        assert SESSION_COOKIE not in elsewhere.cookies


async def test_next_is_followed_only_within_the_site(client: Any, demo: None) -> None:
    response = await submit_sign_in(client, *ANA, next_path="/account/accounts/add")
    assert response.headers["location"] == "/account/accounts/add"
    for target in ("//evil.example", "https://evil.example", "/\\evil.example", "http:/evil.example"):
        client.cookies.clear()
        response = await submit_sign_in(client, *ANA, next_path=target)
        assert response.status_code == 303
        assert response.headers["location"] == "/account", target
        # The form does not carry it either.
        page = await client.get("/sign-in", params={"next": target}, follow_redirects=False)
        assert page.headers["location"] == "/account", target
        client.cookies.clear()
        page = await client.get("/sign-in", params={"next": target})
        assert field_value_next(page.text) == "", target


async def test_next_with_a_tab_or_newline_cannot_leave_the_site(client: Any, demo: None) -> None:
    # Browsers drop tabs and newlines from a URL: "/\t/evil.example" is "//evil.example" to them.
    for target in ("/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/ \t/evil.example"):
        client.cookies.clear()
        response = await submit_sign_in(client, *ANA, next_path=target)
        assert response.status_code == 303
        location = response.headers["location"]
        as_a_browser_reads_it = urljoin("http://127.0.0.1:8000/", re.sub(r"[\t\n\r]", "", location))
        assert urlsplit(as_a_browser_reads_it).netloc == "127.0.0.1:8000", (target, location)


async def test_a_signed_out_page_asks_to_sign_in_and_comes_back(client: Any, demo: None) -> None:
    response = await client.get("/account/accounts/add", follow_redirects=False)
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/sign-in"
    assert parse_qs(target.query) == {"next": ["/account/accounts/add"]}
    signed_in = await submit_sign_in(client, *ADMIN, next_path="/account/accounts/add")
    assert signed_in.headers["location"] == "/account/accounts/add"


def field_value_next(page: str) -> str:
    match = re.search(r'<input type="hidden" name="next" value="([^"]*)">', page)
    assert match is not None
    return match.group(1)
