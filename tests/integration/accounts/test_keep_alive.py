""" "Stay signed in" restarts the idle time, never past the absolute limit; the page counts from load."""

import datetime as dt
import html
import re
from typing import Any

from portal import clock
from portal.db.tables import Session
from tests.conftest import submit


async def test_stay_signed_in_extends_the_session(client: Any, demo: None) -> None:
    await submit(client, "/sign-in", {"username": "ana.demo", "password": "demo-password-ana"})
    soon = clock.now() + dt.timedelta(minutes=1)
    await Session.update({Session.expires_at: soon, Session.last_seen_at: clock.now()}, force=True)
    page = await client.get("/account")
    seconds = int(re.search(r'data-session-seconds="(\d+)"', page.text).group(1))
    assert 0 < seconds <= 60

    response = await submit(client, "/account/keep-alive", {"next": "/bills"})
    assert response.status_code == 303 and response.headers["location"] == "/bills"
    session = await Session.select(Session.expires_at).first()
    assert session["expires_at"] > clock.now() + dt.timedelta(minutes=29)
    page = await client.get("/account")
    assert int(re.search(r'data-session-seconds="(\d+)"', page.text).group(1)) > 29 * 60


async def test_stay_signed_in_never_passes_the_absolute_limit(client: Any, demo: None) -> None:
    await submit(client, "/sign-in", {"username": "ana.demo", "password": "demo-password-ana"})
    started = clock.now() - dt.timedelta(hours=11, minutes=55)
    await Session.update({Session.created_at: started}, force=True)
    await submit(client, "/account/keep-alive", {"next": "/account"})
    session = await Session.select(Session.expires_at).first()
    assert session["expires_at"] <= started + dt.timedelta(hours=12)


async def test_stay_signed_in_comes_back_to_the_page_with_its_query(client: Any, demo: None) -> None:
    """The warning's form, as the page wrote it: back to My bills with its filters, not without them."""
    await submit(client, "/sign-in", {"username": "ana.demo", "password": "demo-password-ana"})
    page = await client.get("/bills?status=pending&account=")
    assert page.status_code == 200
    form = page.text.split('action="/account/keep-alive"', 1)[1].split("</form>", 1)[0]
    next_page = html.unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))
    response = await submit(client, "/account/keep-alive", {"next": next_page})
    assert response.status_code == 303 and response.headers["location"] == "/bills?status=pending&account="
