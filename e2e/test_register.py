"""The journey "Register in the Customer Service Area": each registration type, with JavaScript on and
off, the activation link read from the real SMTP capture, axe clean at every step and error state."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import LiveStack
from e2e.data import bill_details
from e2e.pages.accounts import AccountHome, Bill, PasswordPage, Registration, SignInPage
from e2e.pages.site import HomePage

# The holder's document for each registration type; a private user's is a DNI with JavaScript, an NIE without.
DOCUMENTS = {
    ("private", True): "dni",
    ("private", False): "nie",
    ("company", True): "cif",
    ("company", False): "cif",
    ("administrator", True): "cif",
    ("administrator", False): "dni",
}


def activation_link(mailbox: Any, to: str) -> str:
    [message] = mailbox.wait_for_sync(1, to=to)
    text = message.get_payload()[0].get_payload(decode=True).decode()
    match = re.search(r"http://\S+/activate\?token=\S+", text)
    assert match is not None
    return match.group(0)


@pytest.mark.parametrize("kind", ["private", "company", "administrator"])
def test_register_each_type(
    page: Page,
    base_url: str,
    javascript: bool,
    axe: Callable[[Page], None],
    mailbox: Any,
    local_stack: LiveStack,
    kind: str,
) -> None:
    bill = bill_details(local_stack.customer(identity=DOCUMENTS[(kind, javascript)]))
    if kind == "private" and not javascript:  # a dot works as well as a comma
        bill = Bill(bill.identity, bill.account, bill.number, bill.amount.replace(",", "."))
    username = f"{kind}-{'js' if javascript else 'nojs'}"
    email = f"{username}@example.com"

    HomePage(page, base_url).open()
    page.get_by_role("navigation", name="Your service").get_by_role("link", name="Sign in").click()
    sign_in = SignInPage(page).expect_open()
    axe(page)
    sign_in.register(kind)

    registration = Registration(page, kind)
    expect(page.get_by_role("heading", level=1, name="Enter the details from your bill")).to_be_visible()

    axe(page)
    registration.enter_bill(bill, amount="1,00")  # a wrong amount: the same message as any wrong field
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("alert")).to_be_focused()  # also without JavaScript (autofocus)
    expect(page.get_by_role("alert")).to_contain_text("These details do not match a bill of ours")
    expect(page.get_by_label("Account number")).to_have_value(bill.account)  # nothing typed is lost
    axe(page)
    registration.enter_bill(bill)
    expect(page.get_by_role("heading", level=1, name="Choose your username")).to_be_visible()
    axe(page)
    registration.continue_()  # nothing filled in: a message next to each field
    expect(page).to_have_title(re.compile("^Error: Choose your username"))
    expect(page.get_by_role("alert")).to_contain_text("Read and accept the Privacy Policy to register")
    axe(page)
    registration.enter_user(username, email)
    expect(page.get_by_role("heading", level=1, name="Check your answers before registering")).to_be_visible()
    expect(page.get_by_text(bill.account, exact=True)).to_be_visible()
    axe(page)
    registration.confirm()
    expect(page.get_by_text(f"We have sent an email to {email}")).to_be_visible()
    expect(page.get_by_text("check the spam folder")).to_be_visible()
    axe(page)

    page.goto(activation_link(mailbox, email))
    password = PasswordPage(page)
    axe(page)
    page.get_by_label("Password", exact=True).fill("password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("too common")
    axe(page)
    password.create("blue harbour violin morning")

    home = AccountHome(page).expect_signed_in(username)
    home.expect_account(bill.account)
    axe(page)
    if kind == "administrator":
        page.get_by_role("link", name="Add an account").click()
        expect(page.get_by_role("heading", level=1, name="Add an account")).to_be_visible()
        axe(page)
        another = bill_details(local_stack.customer())
        registration.enter_bill(another, submit="Add account")
        expect(page.get_by_text(f"You can now see account {another.account}")).to_be_visible()
        home.expect_account(another.account)
    else:  # not offered to them, but a bookmark or a shared link opens its address
        page.goto(f"{base_url}/account/accounts/add")
        expect(
            page.get_by_role("heading", level=1, name="Only administrator users can add accounts")
        ).to_be_visible()
        axe(page)
        page.get_by_role("link", name="Go to Manage your account").click()
        expect(page.get_by_role("heading", level=1, name="Manage your account")).to_be_visible()
    home.sign_out()


def test_sign_in_and_out(
    page: Page, base_url: str, local_stack: LiveStack, axe: Callable[[Page], None]
) -> None:
    customer = local_stack.customer(user="private")
    user = customer.signs_in_as
    page.goto(f"{base_url}/account")
    sign_in = SignInPage(page).expect_open()  # a signed-in page sends you to sign in first
    sign_in.sign_in(user.username, "not the password")
    expect(page).to_have_title(re.compile("^Error: Sign in"))
    expect(page.get_by_role("alert")).to_contain_text("Enter a correct username and password")
    expect(page.get_by_label("Username or email address")).to_have_value(user.username)
    axe(page)
    sign_in.sign_in(user.username, user.password)
    home = AccountHome(page).expect_signed_in(user.username)
    home.expect_account(customer.accounts[0].number)
    axe(page)
    home.sign_out()
    page.goto(f"{base_url}/account")
    SignInPage(page).expect_open()


def test_forgotten_password(
    page: Page, base_url: str, axe: Callable[[Page], None], mailbox: Any, local_stack: LiveStack
) -> None:
    user = local_stack.customer(identity="cif", user="administrator").signs_in_as
    username = user.username
    SignInPage(page.goto(f"{base_url}/sign-in") and page).expect_open()
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1, name="Forgotten your password?")).to_be_visible()
    axe(page)
    page.get_by_label("Username or email address").fill(username)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1, name="Check your email")).to_be_visible()
    axe(page)
    [message] = mailbox.wait_for_sync(1, to=user.email)
    text = message.get_payload()[0].get_payload(decode=True).decode()
    link = re.search(r"http://\S+/password/reset\?token=\S+", text)
    assert link is not None
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1, name="Create a new password")).to_be_visible()
    axe(page)
    new_password = "admin new password lighthouse"
    page.get_by_label("Password", exact=True).fill(new_password)
    page.get_by_role("button", name="Continue").click()
    AccountHome(page).expect_signed_in(username).sign_out()
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(username, new_password)
    AccountHome(page).expect_signed_in(username)


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_session_timeout_warning(
    page: Page, base_url: str, local_stack: LiveStack, axe: Callable[[Page], None]
) -> None:
    """Two minutes before the idle timeout the page warns, and "Stay signed in" keeps the session."""
    user = local_stack.customer(user="private").signs_in_as
    page.clock.install()
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    AccountHome(page).expect_signed_in(user.username)
    warning = page.get_by_role("alert").filter(has_text="You will be signed out in 2 minutes")
    expect(warning).to_be_hidden()
    # Halfway through a form: staying signed in keeps what was typed (WCAG 3.3.7, 2.2.1).
    page.goto(f"{base_url}/account/email")
    page.get_by_label("New email address").fill("halfway@example.com")
    page.clock.fast_forward("28:30")
    expect(warning).to_be_visible()
    axe(page)
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()  # the page is back (only then is the field's value worth reading)
    expect(page.get_by_text(f"Signed in as {user.username}")).to_be_visible()
    expect(page.get_by_label("New email address")).to_have_value("halfway@example.com")


def test_a_bill_from_before_a_removal_no_longer_registers(
    page: Page, base_url: str, axe: Callable[[Page], None], local_stack: LiveStack
) -> None:
    """Customer service removed the holder's own user (a stranger, say, who registered with one of their
    bills): that bill no longer registers anyone. It is refused next to its number, nothing typed is lost,
    and the message says what will do instead."""
    customer = local_stack.customer(user="private")
    bill = bill_details(customer)
    local_stack.portal("access", "remove", customer.signs_in_as.username, bill.account, "--all-accounts")

    HomePage(page, base_url).open()
    page.get_by_role("navigation", name="Your service").get_by_role("link", name="Sign in").click()
    SignInPage(page).expect_open().register("private")
    Registration(page, "private").enter_bill(bill)
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("alert")).to_be_focused()
    refusal = "This bill can no longer be used to prove this account. Use a bill issued after "
    expect(page.get_by_role("alert").get_by_role("link")).to_have_text(re.compile("^" + re.escape(refusal)))
    # Told next to the field too, and with it to a screen reader (after the field's hint).
    expect(page.get_by_label("Bill number")).to_have_accessible_description(
        re.compile("Error: " + re.escape(refusal))
    )
    expect(page.get_by_label("Bill number")).to_have_value(bill.number)
    expect(page.get_by_label("Account number")).to_have_value(bill.account)
    axe(page)
