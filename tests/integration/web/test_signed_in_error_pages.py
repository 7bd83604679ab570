"""Error pages of a request with a live session are shown inside the signed-in area, also when the error
comes before any page reads the session (an address that matches no page, a method it does not take, an
id or a query the app-wide guard refuses, a body too large, a form token refused); without a live session
they are the public ones. The read neither extends the session nor turns a 404 into a 500, and nothing
reads the session again once the page did."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest

from portal import clock
from portal.db.tables import Session, User
from tests.conftest import csrf_token, other_transaction
from tests.steps import ANA, sign_in

SIGNED_IN = "Signed in as ana.demo"
HX = {"HX-Request": "true", "HX-Current-URL": "http://127.0.0.1:8000/account"}
_HEADER = re.compile(r'<header class="site-header">(.*?)</header>', re.S)


def header(page: str) -> str:
    match = _HEADER.search(page)
    assert match is not None
    return match.group(1)


def signed_in(page: str) -> bool:
    """The page's header is the signed-in area's: who is signed in, "Sign out" and the main menu, and no
    "Sign in"."""
    top = header(page)
    area = SIGNED_IN in top and ">Sign out</button>" in top and 'aria-label="Main menu"' in top
    assert area or (">Sign in</a>" in top and "Sign out" not in top), top
    return area


# (method, path, what is sent, the status): each error answered before any page read the session, and one
# that a page answers itself (a bill that is not theirs), as it did already.
ERRORS = [
    ("GET", "/bills/0", None, 404),
    ("GET", "/bills/-1", None, 404),
    ("GET", "/bills/2147483648", None, 404),
    ("GET", "/payments/%00", None, 404),
    ("GET", "/no-such-page", None, 404),
    ("GET", "/bills/999999999", None, 404),
    ("GET", "/language", None, 405),
    ("GET", "/bills?account=%00", None, 422),
    ("POST", "/downloads/new", "too large", 413),
    ("POST", "/downloads/new", "no form token", 403),
]


async def ask(client: Any, method: str, path: str, sent: str | None) -> Any:
    if sent == "too large":
        data = {"_csrf_token": await csrf_token(client), "name": "a" * 2_000_000}
        return await client.post(path, data=data)
    if sent == "no form token":
        return await client.post(path, data={"name": "a"})
    return await client.request(method, path)


@pytest.mark.parametrize(("method", "path", "sent", "status"), ERRORS, ids=[f"{e[3]}:{e[1]}" for e in ERRORS])
async def test_an_error_page_is_shown_inside_the_signed_in_area(
    client: Any, demo: None, method: str, path: str, sent: str | None, status: int
) -> None:
    signed_out = await ask(client, method, path, sent)
    if path == "/bills/999999999":  # a signed-in page: "Sign in" first
        assert signed_out.status_code == 303
    else:
        assert signed_out.status_code == status and not signed_in(signed_out.text)
    await sign_in(client, ANA)
    response = await ask(client, method, path, sent)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert signed_in(response.text)
    assert response.headers["cache-control"] == "no-store"
    if method == "GET":  # htmx asking for a part of a page: the same page, which takes the whole window
        partial = await client.get(path, headers=HX)
        assert partial.status_code == status and signed_in(partial.text)
        assert partial.headers["hx-retarget"] == "body"


async def test_an_ended_or_unknown_session_gets_the_public_error_page(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    assert signed_in((await client.get("/no-such-page")).text)
    await Session.update({Session.expires_at: clock.now() - dt.timedelta(seconds=1)}, force=True)
    for path in ("/no-such-page", "/bills/0", "/bills/999999999"):
        response = await client.get(path, follow_redirects=False)
        if path == "/bills/999999999":  # a signed-in page: sign in first
            assert response.status_code == 303
            continue
        assert response.status_code == 404 and not signed_in(response.text), path
    await Session.delete(force=True)
    client.cookies.set("session", "made-up-session-token", domain="127.0.0.1", path="/")
    assert not signed_in((await client.get("/no-such-page")).text)
    assert await Session.count() == 0


async def test_an_error_page_does_not_keep_the_session_alive(client: Any, demo: None) -> None:
    """Reading the session for an error page is no activity: only a page extends the idle time."""
    await sign_in(client, ANA)
    now = clock.now()
    before = {
        Session.last_seen_at: now - dt.timedelta(minutes=5),
        Session.expires_at: now + dt.timedelta(minutes=25),
    }
    await Session.update(before, force=True)
    for path in ("/no-such-page", "/bills/0", "/bills?account=%00"):
        assert signed_in((await client.get(path)).text), path
    [row] = await Session.select(Session.last_seen_at, Session.expires_at)
    assert row == {
        "last_seen_at": now - dt.timedelta(minutes=5),
        "expires_at": now + dt.timedelta(minutes=25),
    }
    # A page does extend it (so the row above would have shown it).
    await client.get("/privacy")
    [row] = await Session.select(Session.last_seen_at)
    assert row["last_seen_at"] == now


async def test_an_error_page_is_in_the_signed_in_users_language(client: Any, demo: None) -> None:
    await sign_in(client, ANA)  # the language cookie says English
    await User.update({User.language: "es"}).where(User.username == ANA[0])
    for path in ("/no-such-page", "/bills/0"):
        page = (await client.get(path)).text
        assert '<html lang="es">' in page and "<h1>Página no encontrada</h1>" in page, path


async def test_a_session_that_cannot_be_read_leaves_the_error_page_signed_out(
    client: Any, demo: None
) -> None:
    """The database fails while an error page reads the session: the page is the public one, not a 500."""
    await sign_in(client, ANA)
    async with other_transaction() as holder:
        await holder.execute("LOCK TABLE web_session IN ACCESS EXCLUSIVE MODE")
        answer = asyncio.create_task(client.get("/no-such-page"))
        await holder.ends_the_blocked()
    response = await answer
    assert response.status_code == 404 and "Page not found" in response.text
    assert not signed_in(response.text)
    assert signed_in((await client.get("/no-such-page")).text)  # the next request reads it again


@pytest.mark.parametrize(("path", "status"), [("/bills/", 200), ("/bills/999999999", 404)])
async def test_nothing_reads_the_session_again_after_the_page(
    client: Any, demo: None, path: str, status: int
) -> None:
    """The page reads the session, before its own work; its answer, or its own error page, reads it no
    more: held on the bills after that read, with the sessions locked then, it is answered all the same."""
    await sign_in(client, ANA)
    async with other_transaction() as sessions:
        async with other_transaction() as bills:
            await bills.execute("LOCK TABLE bill IN ACCESS EXCLUSIVE MODE")
            answer = asyncio.create_task(client.get(path))
            pid = await bills.blocks_another()  # the session read already, waiting for the bills
            waits_on = await bills.admin.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
            assert " bill " in waits_on and "web_session" not in waits_on, waits_on
            await sessions.execute("LOCK TABLE web_session IN ACCESS EXCLUSIVE MODE")
        # The bills are free now, the sessions are not: another read of the session would wait on them.
        waiting = asyncio.create_task(sessions.blocks_another())
        done, _ = await asyncio.wait({answer, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        assert answer in done, "the request waits on the sessions: it reads the session again"
    response = answer.result()
    assert response.status_code == status and signed_in(response.text)
