"""With the keyboard alone: registering (Tab to move, type, Space to tick, Enter to submit), paging
through the bills to mark, and the language switch."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from e2e.conftest import LiveStack
from e2e.data import bill_details
from e2e.pages.accounts import AccountHome, SignInPage
from e2e.pages.downloads import MassiveDownload
from e2e.test_register import activation_link


def tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab until the target has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_register_with_the_keyboard_alone(
    page: Page, base_url: str, mailbox: Any, local_stack: LiveStack
) -> None:
    bill = bill_details(local_stack.customer())
    page.goto(f"{base_url}/")
    tab_to(page, page.get_by_role("navigation", name="Your service").get_by_role("link", name="Register"))
    page.keyboard.press("Enter")

    tab_to(page, page.get_by_label("Private user registration"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")

    for label, value in (
        ("DNI or NIE of the account holder", bill.identity),
        ("Account number", bill.account),
        ("Bill number", bill.number),
        ("Total amount of that bill, in euros", bill.amount),
    ):
        tab_to(page, page.get_by_label(label))
        page.keyboard.type(value)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name="Choose your username")).to_be_visible()
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type("javier.keys")
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type("javier.keys@example.com")
    tab_to(page, page.get_by_label(re.compile("I have read and accept")))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")

    tab_to(page, page.get_by_role("button", name="Register and send the email"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Check your email")).to_be_visible()

    page.goto(activation_link(mailbox, "javier.keys@example.com"))
    tab_to(page, page.get_by_label("Password", exact=True))
    page.keyboard.type("quiet meadow lantern seven")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Signed in as javier.keys")).to_be_visible()


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_the_next_page_of_bills_to_mark_brings_the_focus_to_the_list(
    page: Page, base_url: str, local_stack: LiveStack, axe: Any
) -> None:
    """Mark the bills, a list of two pages: "Next page", pressed with the keyboard, leaves the focus on the
    new page's list ("Bills, page 2 of 2"), where the reader was, not at the top of the page."""
    customer = local_stack.customer(pending=(0, 0, 0, 0, 0), user="private")  # 5 accounts: over 50 bills
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(customer.signs_in_as.username, customer.signs_in_as.password)
    AccountHome(page).expect_signed_in(customer.signs_in_as.username)
    page.goto(f"{base_url}/downloads/new")
    MassiveDownload(page).fill_details(
        "All of them", "Last 12 months", "By identity document", customer.identity
    )
    expect(page.get_by_role("heading", level=2, name="Bills, page 1 of 2")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Next page"), limit=200)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="Bills, page 2 of 2")).to_be_focused()
    axe(page)


def test_the_language_switch_leaves_the_focus_on_the_switcher(
    page: Page, base_url: str, javascript: bool, local_stack: LiveStack, axe: Any
) -> None:
    """Enter on "Español": the page comes back in Spanish with the focus on the switcher (now "English"),
    where the reader was, not lost at the top of a new page; the next Tab goes on from there. With
    JavaScript or without, and on a page whose success banner takes the focus when it loads."""
    page.goto(f"{base_url}/pay")
    tab_to(page, page.get_by_role("button", name="Español"))
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="English")).to_be_focused()
    axe(page)
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Español")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_focused()

    user = local_stack.customer(user="private").signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    AccountHome(page).expect_signed_in(user.username)
    page.goto(f"{base_url}/account?done=password_reset")
    if javascript:
        expect(page.get_by_role("alert")).to_be_focused()
    page.get_by_role("button", name="Español").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Contraseña cambiada")
    expect(page.get_by_role("button", name="English")).to_be_focused()
    axe(page)
