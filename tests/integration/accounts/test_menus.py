"""The main menu on every signed-in page, and the two hubs it leads to."""

import re
from typing import Any

from tests.conftest import submit


def links(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", page, re.S)]


async def test_every_signed_in_page_has_the_main_menu_marking_where_you_are(client: Any, demo: None) -> None:
    await submit(client, "/sign-in", {"username": "ana.demo", "password": "demo-password-ana"})
    for path, current in (
        ("/account", "Customer Service Area"),
        ("/bills/", "My bills"),
        ("/account/manage", "Manage your account"),
        ("/account/transactions", "All transactions"),
    ):
        page = (await client.get(path)).text
        nav = page.split('aria-label="Main menu"')[1].split("</nav>")[0]
        assert links(nav) == ["Customer Service Area", "My bills", "Manage your account", "All transactions"]
        assert re.search(rf'aria-current="page">{current}<', nav), path


def header(page: str) -> str:
    return page.split('<header class="site-header">')[1].split("</header>")[0]


async def test_the_public_pages_know_who_is_signed_in(client: Any, demo: None) -> None:
    """Signed in, nothing says "Sign in": the header's name leads to the signed-in home, the public home
    sends there, and the privacy and accessibility pages are shown inside the signed-in area."""
    for path in ("/privacy", "/accessibility"):
        public = header((await client.get(path)).text)
        assert "Sign in" in links(public) and 'aria-label="Main menu"' not in public
    assert (await client.get("/")).status_code == 200
    registered = "You do not need to be registered in the Customer Service Area."
    assert registered in (await client.get("/pay")).text

    await submit(client, "/sign-in", {"username": "ana.demo", "password": "demo-password-ana"})
    assert registered not in (await client.get("/pay")).text  # they are: no need to tell them
    home = await client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/account"
    for path in ("/account", "/bills/", "/privacy", "/accessibility", "/pay"):
        page = header((await client.get(path)).text)
        assert "Sign in" not in links(page), path
        assert "Signed in as ana.demo" in page and ">Sign out</button>" in page, path
        assert 'class="site-header__name" href="/account"' in page, path
        assert 'aria-label="Main menu"' in page, path
    # An error page is shown inside the area too: a bill that is not theirs, an address that matches no
    # page (tests/integration/web/test_signed_in_error_pages.py has every kind).
    for path in ("/bills/999999999", "/no-such-page"):
        missing = await client.get(path)
        assert missing.status_code == 404 and "Signed in as ana.demo" in header(missing.text), path
        assert "Page not found" in missing.text and 'aria-label="Main menu"' in header(missing.text), path
        assert "Sign in" not in links(header(missing.text)), path

    await submit(client, "/sign-out", {})
    assert (await client.get("/")).status_code == 200
    assert 'class="site-header__name" href="/"' in header((await client.get("/privacy")).text)


async def test_manage_your_account_groups_options_and_shows_accounts_only_to_administrators(
    client: Any, demo: None
) -> None:
    await submit(client, "/sign-in", {"username": "ana.demo", "password": "demo-password-ana"})
    page = (await client.get("/account/manage")).text
    assert ">Bills and payments</h2>" in page
    assert "My bills" in links(page)
    assert "Add an account" not in links(page)

    await submit(client, "/sign-out", {})
    await submit(client, "/sign-in", {"username": "admin.demo", "password": "demo-password-admin"})
    page = (await client.get("/account/manage")).text
    assert ">Accounts</h2>" in page
    assert "Add an account" in links(page)


async def test_the_hubs_need_a_signed_in_user(client: Any, db: None) -> None:
    for path in ("/account/manage", "/account/transactions"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=")
