"""Page objects for signing in and registering, found by role and label as QA scripts find them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect

IDENTITY_LABELS = {
    "private": "DNI or NIE of the account holder",
    "company": "CIF of the company",
    "administrator": "DNI, NIE or CIF of the account holder",
}
REGISTRATION_TYPES = {
    "private": "Private user registration",
    "company": "Company user registration",
    "administrator": "Administrator user registration",
}


@dataclass(frozen=True)
class Bill:
    """The details printed on a bill that prove who holds the account (README, "Demo data")."""

    identity: str
    account: str
    number: str
    amount: str


class SignInPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    def expect_open(self) -> SignInPage:
        expect(self.page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
        return self

    def sign_in(self, username: str, password: str) -> None:
        self.page.get_by_label("Username or email address").fill(username)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def register(self, kind: str) -> None:
        """The journeys' "Select the type of registration": the sign-in page offers each type."""
        self.page.get_by_role("button", name=REGISTRATION_TYPES[kind]).click()


class Registration:
    """The steps of "Register in the Customer Service Area"."""

    def __init__(self, page: Page, kind: str) -> None:
        self.page = page
        self.kind = kind

    def continue_(self) -> None:
        self.page.get_by_role("button", name="Continue").click()

    def enter_bill(self, bill: Bill, *, amount: str | None = None, submit: str = "Continue") -> None:
        """The bill details form, in registration or in "Add an account"."""
        self.page.get_by_label(IDENTITY_LABELS[self.kind]).fill(bill.identity)
        self.page.get_by_label("Account number").fill(bill.account)
        self.page.get_by_label("Bill number").fill(bill.number)
        self.page.get_by_label("Total amount of that bill, in euros").fill(amount or bill.amount)
        self.page.get_by_role("button", name=submit).click()

    def enter_user(self, username: str, email: str) -> None:
        expect(self.page.get_by_role("heading", level=1, name="Choose your username")).to_be_visible()
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label(re.compile("^Online bill")).check()
        self.page.get_by_label(re.compile("I have read and accept the Privacy Policy")).check()
        self.continue_()

    def confirm(self) -> None:
        expect(
            self.page.get_by_role("heading", level=1, name="Check your answers before registering")
        ).to_be_visible()
        self.page.get_by_role("button", name="Register and send the email").click()
        expect(self.page.get_by_role("heading", level=1, name="Check your email")).to_be_visible()


class PasswordPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    def create(self, password: str) -> None:
        expect(self.page.get_by_role("heading", level=1, name="Create a login password")).to_be_visible()
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Continue").click()


class AccountHome:
    def __init__(self, page: Page) -> None:
        self.page = page

    def expect_signed_in(self, username: str) -> AccountHome:
        expect(self.page.get_by_role("heading", level=1, name="Customer Service Area")).to_be_visible()
        expect(self.page.get_by_text(f"Signed in as {username}")).to_be_visible()
        return self

    def expect_account(self, number: str) -> None:
        expect(self.page.get_by_role("heading", level=3, name=f"Account {number}")).to_be_visible()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        expect(self.page.get_by_role("heading", level=1, name="You have signed out")).to_be_visible()
