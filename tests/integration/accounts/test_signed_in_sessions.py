"""Server-side sessions: only tokens the server issued, a new token at sign-in, idle and absolute
timeouts, sign-out, no sessions for anonymous pages, and the cookie's attributes."""

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

from litestar import Litestar

from portal import clock
from portal.db.tables import Session
from tests.conftest import submit
from tests.integration.accounts.helpers import (
    ANA,
    OTHER_IP,
    SESSION_COOKIE,
    audit_events,
    browser,
    session_rows,
    sha256,
    submit_sign_in,
)


def plant_session_cookie(client: Any, value: str) -> None:
    """The session cookie as the browser would keep it (host-only, for the whole site)."""
    client.cookies.set(SESSION_COOKIE, value, domain="127.0.0.1", path="/")


async def assert_asked_to_sign_in(client: Any, path: str = "/account") -> None:
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == 303, path
    target = urlsplit(response.headers["location"])
    assert target.path == "/sign-in"
    assert parse_qs(target.query) == {"next": [path]}


async def assert_signed_in(client: Any, username: str) -> None:
    response = await client.get("/account", follow_redirects=False)
    assert response.status_code == 200
    assert f"Signed in as {username}" in response.text


async def signed_in_token(client: Any) -> str:
    response = await submit_sign_in(client, *ANA)
    assert response.status_code == 303
    return client.cookies[SESSION_COOKIE]


async def test_a_cookie_the_server_never_issued_is_no_session(client: Any, demo: None) -> None:
    plant_session_cookie(client, "made-up-session-token")
    await assert_asked_to_sign_in(client)
    plant_session_cookie(client, "x" * 5000)
    await assert_asked_to_sign_in(client)
    assert await Session.count() == 0


async def test_the_token_changes_at_sign_in(client: Any, demo: None) -> None:
    # A token planted before sign-in (session fixation) is not adopted…
    plant_session_cookie(client, "planted-by-an-attacker")
    planted_login = await submit_sign_in(client, *ANA)
    assert client.cookies[SESSION_COOKIE] != "planted-by-an-attacker"
    assert planted_login.status_code == 303
    assert await Session.count().where(Session.token_hash == sha256("planted-by-an-attacker")) == 0

    # …and signing in again with a live session replaces it.
    first = client.cookies[SESSION_COOKIE]
    await submit_sign_in(client, *ANA)
    second = client.cookies[SESSION_COOKIE]
    assert second != first
    assert [row["token_hash"] for row in await session_rows("ana.demo")] == [sha256(second)]
    await assert_signed_in(client, "ana.demo")
    plant_session_cookie(client, first)
    await assert_asked_to_sign_in(client)


async def test_idle_timeout(client: Any, demo: None) -> None:
    await signed_in_token(client)
    await assert_signed_in(client, "ana.demo")
    past = clock.now() - dt.timedelta(seconds=1)
    await Session.update({Session.expires_at: past}, force=True)
    await assert_asked_to_sign_in(client)


async def test_absolute_timeout_even_when_active(client: Any, demo: None) -> None:
    await signed_in_token(client)
    now = clock.now()
    await Session.update(
        {
            Session.created_at: now - dt.timedelta(hours=12, minutes=1),
            Session.last_seen_at: now,
            Session.expires_at: now + dt.timedelta(minutes=29),
        },
        force=True,
    )
    await assert_asked_to_sign_in(client)


async def test_a_request_extends_the_idle_timeout_but_not_past_the_absolute_one(
    client: Any, demo: None
) -> None:
    await signed_in_token(client)
    now = clock.now()
    created = now - dt.timedelta(hours=11, minutes=50)
    await Session.update(
        {Session.created_at: created, Session.last_seen_at: now - dt.timedelta(minutes=5)}, force=True
    )
    await assert_signed_in(client, "ana.demo")
    [row] = await Session.select(Session.expires_at)
    assert row["expires_at"] == created + dt.timedelta(hours=12)


async def test_sign_out_ends_the_session(client: Any, app: Litestar, demo: None) -> None:
    token = await signed_in_token(client)
    response = await submit(client, "/sign-out")
    assert response.status_code == 303
    assert response.headers["location"] == "/signed-out?language=en"
    assert await Session.count() == 0
    await assert_asked_to_sign_in(client)
    # The old cookie, kept by someone, no longer works.
    async with browser(app, OTHER_IP) as other:
        plant_session_cookie(other, token)
        await assert_asked_to_sign_in(other)
    assert len(await audit_events("sign_out")) == 1


async def test_anonymous_pages_create_no_sessions(client: Any, demo: None) -> None:
    for path in ("/", "/sign-in", "/register", "/privacy", "/password/forgotten", "/signed-out"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert SESSION_COOKIE not in response.cookies, path
    # Forms sent anonymously do not either.
    await submit(client, "/register", {"kind": "private"})
    await submit(client, "/password/forgotten", {"login": "nobody"})
    await submit_sign_in(client, "nobody", "wrong password")
    assert await Session.count() == 0
    assert SESSION_COOKIE not in client.cookies


async def test_the_session_cookie_is_http_only_and_same_site_lax(client: Any, demo: None) -> None:
    response = await submit_sign_in(client, *ANA)
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"
    assert attributes["max-age"] == f"Max-Age={12 * 3600}"
