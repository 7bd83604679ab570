"""Page objects for "Manage your account" → "Personal details", found by role and label as QA scripts
find them."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


class ManageAccount:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> ManageAccount:
        self.page.get_by_role("navigation", name="Main menu").get_by_role(
            "link", name="Manage your account"
        ).click()
        expect(self.page.get_by_role("heading", level=1, name="Manage your account")).to_be_visible()
        return self

    def choose(self, label: str) -> None:
        section = self.page.get_by_role("region", name="Personal details")
        section.get_by_role("link", name=label, exact=True).click()


class ChangeEmail:
    def __init__(self, page: Page) -> None:
        self.page = page

    def expect_open(self) -> ChangeEmail:
        expect(self.page.get_by_role("heading", level=1, name="Change your email address")).to_be_visible()
        return self

    def ask(self, new_email: str, current_password: str) -> None:
        self.page.get_by_label("New email address").fill(new_email)
        self.page.get_by_label("Current password", exact=True).fill(current_password)
        self.page.get_by_role("button", name="Send the confirmation link").click()

    def confirm(self, new_email: str) -> None:
        expect(
            self.page.get_by_role("heading", level=1, name="Confirm your new email address")
        ).to_be_visible()
        expect(self.page.get_by_text(new_email, exact=True)).to_be_visible()
        self.page.get_by_role("button", name="Confirm new email address").click()


class ChangePassword:
    def __init__(self, page: Page) -> None:
        self.page = page

    def expect_open(self) -> ChangePassword:
        expect(self.page.get_by_role("heading", level=1, name="Change your password")).to_be_visible()
        return self

    def change(self, current: str, new: str) -> None:
        self.page.get_by_label("Current password", exact=True).fill(current)
        self.page.get_by_label("New password", exact=True).fill(new)
        self.page.get_by_role("button", name="Change password").click()


class OnlineBill:
    def __init__(self, page: Page) -> None:
        self.page = page

    def expect_open(self) -> OnlineBill:
        expect(self.page.get_by_role("heading", level=1, name="Online bill")).to_be_visible()
        return self

    def choose(self, online: bool) -> None:
        self.page.get_by_label("Yes, online bill" if online else "No, bills on paper").check()
        self.page.get_by_role("button", name="Save").click()


def expect_notification(page: Page, text: str) -> None:
    banner = page.get_by_role("alert").filter(has_text=re.compile(re.escape(text)))
    expect(banner).to_be_visible()


def expect_error(page: Page, message: str) -> None:
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("alert").get_by_role("link", name=message)).to_be_visible()
