"""Manage your account → "Personal details": change the email address (the link read from the real
SMTP capture), change the password (another browser is signed out), and the online bill; with JavaScript
on and off, axe clean on every page and error state.

Each test signs in as a user of its own (`portal demo customer`), so that changing a password or an
address never disturbs another test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from e2e.conftest import LiveStack
from e2e.pages.accounts import AccountHome, SignInPage
from e2e.pages.profile import (
    ChangeEmail,
    ChangePassword,
    ManageAccount,
    OnlineBill,
    expect_error,
    expect_notification,
)


@dataclass(frozen=True)
class ProfileUser:
    username: str
    email: str
    password: str
    account: str


@pytest.fixture
def profile_user(local_stack: LiveStack) -> ProfileUser:
    """An activated administrator user of one account of its own, with bills on paper."""
    customer = local_stack.customer(identity="cif", pending=(0,), user="administrator", paper=True)
    user = customer.signs_in_as
    return ProfileUser(user.username, user.email, user.password, customer.accounts[0].number)


def sign_in(page: Page, base_url: str, user: ProfileUser) -> AccountHome:
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    return AccountHome(page).expect_signed_in(user.username)


def message_to(mailbox: Any, to: str, subject: str) -> str:
    """The text of the first captured email to `to` whose subject contains `subject`."""
    count = 1
    while True:
        received = mailbox.wait_for_sync(count, to=to)
        for message in received:
            if subject in message["Subject"]:
                return str(message.get_payload()[0].get_payload(decode=True).decode())
        count = len(received) + 1


def test_email_change_your_email_address(
    page: Page, base_url: str, axe: Callable[[Page], None], mailbox: Any, profile_user: ProfileUser
) -> None:
    new_email = profile_user.email.replace("@example.com", "@example.org")
    sign_in(page, base_url, profile_user)
    manage = ManageAccount(page).open()
    axe(page)
    manage.choose("Change your email address")
    form = ChangeEmail(page).expect_open()
    axe(page)

    form.ask("not-an-address", "")
    expect_error(page, "Enter an email address in the correct format, like name@example.com")
    expect_error(page, "Enter your current password")
    expect(page.get_by_label("New email address")).to_have_value("not-an-address")
    axe(page)
    form.ask(new_email, "not my password")
    expect_error(page, "Your current password is not correct")
    axe(page)

    form.ask(new_email, profile_user.password)
    expect_notification(page, "Check your email to confirm the new address")
    axe(page)

    notice = message_to(mailbox, profile_user.email, "A change of your email address was requested")
    assert "/account/email/confirm" not in notice
    text = message_to(mailbox, new_email, "Confirm your new email address")
    link = re.search(r"http://\S+/account/email/confirm\?token=\S+", text)
    assert link is not None

    page.goto(link.group(0))
    axe(page)
    form.confirm(new_email)
    expect_notification(page, "Your email address has been changed")
    expect(page.get_by_text(f"From now on we will write to {new_email}.")).to_be_visible()
    axe(page)

    page.goto(link.group(0))  # a second use
    expect(page.get_by_role("heading", level=1, name="This link has already been used")).to_be_visible()
    axe(page)


def test_password_change_your_password(
    page: Page,
    browser: Browser,
    base_url: str,
    axe: Callable[[Page], None],
    mailbox: Any,
    profile_user: ProfileUser,
    javascript: bool,
) -> None:
    other_device = browser.new_context(java_script_enabled=javascript)
    try:
        other = other_device.new_page()
        sign_in(other, base_url, profile_user)

        sign_in(page, base_url, profile_user)
        manage = ManageAccount(page).open()
        manage.choose("Change your password")
        form = ChangePassword(page).expect_open()
        axe(page)

        new_password = f"velvet tundra {'js' if javascript else 'nojs'} harbour"
        form.change("not my password", "password")
        expect_error(page, "Your current password is not correct")
        expect_error(
            page, "This password is too common and easy to guess: choose another, such as three random words"
        )
        axe(page)
        form.change(profile_user.password, new_password)
        expect_notification(page, "Your password has been changed")
        axe(page)
        text = message_to(mailbox, profile_user.email, "Your password was changed")
        assert new_password not in text

        # This browser stays signed in; the other one was signed out.
        page.goto(f"{base_url}/account")
        AccountHome(page).expect_signed_in(profile_user.username)
        other.goto(f"{base_url}/account")
        SignInPage(other).expect_open()
        SignInPage(other).sign_in(profile_user.username, new_password)
        AccountHome(other).expect_signed_in(profile_user.username)
    finally:
        other_device.close()


def test_online_bill(
    page: Page, base_url: str, axe: Callable[[Page], None], profile_user: ProfileUser
) -> None:
    home = sign_in(page, base_url, profile_user)
    row = page.locator(".summary-list__row").filter(has_text="Online bill")
    expect(row).to_contain_text("No, bills on paper")
    ManageAccount(page).open().choose("Online bill")
    form = OnlineBill(page).expect_open()
    expect(page.get_by_label("No, bills on paper")).to_be_checked()
    axe(page)

    form.choose(online=True)
    expect_notification(page, "Online bill is on")
    expect(page.get_by_label("Yes, online bill")).to_be_checked()
    axe(page)
    page.get_by_role("link", name="See your accounts").click()
    home.expect_account(profile_user.account)
    expect(row).to_contain_text("Yes")

    ManageAccount(page).open().choose("Online bill")
    form.choose(online=False)
    expect_notification(page, "Online bill is off")
    page.get_by_role("link", name="See your accounts").click()
    expect(row).to_contain_text("No, bills on paper")


def tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_online_bill_with_the_keyboard_alone(page: Page, base_url: str, profile_user: ProfileUser) -> None:
    sign_in(page, base_url, profile_user)
    tab_to(page, page.get_by_role("link", name="Manage your account"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Online bill", exact=True))
    page.keyboard.press("Enter")
    OnlineBill(page).expect_open()
    tab_to(page, page.get_by_label("No, bills on paper"))  # the checked radio is the one in the tab order
    page.keyboard.press("ArrowUp")
    expect(page.get_by_label("Yes, online bill")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Save"))
    page.keyboard.press("Enter")
    expect_notification(page, "Online bill is on")
    tab_to(page, page.get_by_role("link", name="See your accounts"))
    page.keyboard.press("Enter")
    expect(page.locator(".summary-list__row").filter(has_text="Online bill")).to_contain_text("Yes")
