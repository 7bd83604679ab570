"""Page objects for signing in and registering, found by role and label as QA scripts find them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from e2e.pages import ENGLISH, Words

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
    def __init__(self, page: Page, words: Words = ENGLISH) -> None:
        self.page = page
        self._ = words

    def expect_open(self) -> SignInPage:
        expect(self.page.get_by_role("heading", level=1, name=self._("Sign in"))).to_be_visible()
        return self

    def sign_in(self, username: str, password: str) -> None:
        self.page.get_by_label(self._("Username or email address")).fill(username)
        self.page.get_by_label(self._("Password"), exact=True).fill(password)
        self.page.get_by_role("button", name=self._("Sign in")).click()

    def register(self, kind: str) -> None:
        """The journeys' "Select the type of registration": the sign-in page offers each type."""
        self.page.get_by_role("button", name=self._(REGISTRATION_TYPES[kind])).click()


class Registration:
    """The steps of "Register in the Customer Service Area"."""

    def __init__(self, page: Page, kind: str, words: Words = ENGLISH) -> None:
        self.page = page
        self._ = words
        self.kind = kind

    def continue_(self) -> None:
        self.page.get_by_role("button", name=self._("Continue")).click()

    def enter_bill(self, bill: Bill, *, amount: str | None = None, submit: str = "Continue") -> None:
        """The bill details form, in registration or in "Add an account"."""
        self.page.get_by_label(self._(IDENTITY_LABELS[self.kind])).fill(bill.identity)
        self.page.get_by_label(self._("Account number")).fill(bill.account)
        self.page.get_by_label(self._("Bill number")).fill(bill.number)
        self.page.get_by_label(self._("Total amount of that bill, in euros")).fill(amount or bill.amount)
        self.page.get_by_role("button", name=self._(submit)).click()

    def enter_user(self, username: str, email: str) -> None:
        expect(self.page.get_by_role("heading", level=1, name=self._("Choose your username"))).to_be_visible()
        self.page.get_by_label(self._("Username")).fill(username)
        self.page.get_by_label(self._("Email address")).fill(email)
        self.page.get_by_label(re.compile("^" + re.escape(self._("Online bill")))).check()
        privacy = self._.plain(
            'I have read and accept the <a href="%(url)s" target="_blank" rel="noopener">'
            "Privacy Policy (opens in a new tab)</a>",
            url="",
        )
        self.page.get_by_label(privacy).check()
        self.continue_()

    def confirm(self) -> None:
        expect(
            self.page.get_by_role("heading", level=1, name=self._("Check your answers before registering"))
        ).to_be_visible()
        self.page.get_by_role("button", name=self._("Register and send the email")).click()
        expect(self.page.get_by_role("heading", level=1, name=self._("Check your email"))).to_be_visible()


class PasswordPage:
    def __init__(self, page: Page, words: Words = ENGLISH) -> None:
        self.page = page
        self._ = words

    def create(self, password: str) -> None:
        expect(
            self.page.get_by_role("heading", level=1, name=self._("Create a login password"))
        ).to_be_visible()
        self.page.get_by_label(self._("Password"), exact=True).fill(password)
        self.page.get_by_role("button", name=self._("Continue")).click()


class AccountHome:
    def __init__(self, page: Page, words: Words = ENGLISH) -> None:
        self.page = page
        self._ = words

    def expect_signed_in(self, username: str) -> AccountHome:
        expect(
            self.page.get_by_role("heading", level=1, name=self._("Customer Service Area"))
        ).to_be_visible()
        expect(self.page.get_by_text(self._("Signed in as %(username)s", username=username))).to_be_visible()
        return self

    def expect_account(self, number: str) -> None:
        expect(
            self.page.get_by_role("heading", level=3, name=self._("Account %(number)s", number=number))
        ).to_be_visible()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name=self._("Sign out")).click()
        expect(self.page.get_by_role("heading", level=1, name=self._("You have signed out"))).to_be_visible()
