"""My bills and View online bill, with JavaScript on and off, axe clean."""

from __future__ import annotations

import json
from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.pages.accounts import AccountHome, SignInPage


def test_my_bills_and_view_online_bill(page: Page, base_url: str, axe: Callable[[Page], None]) -> None:
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in("ana.demo", "demo-password-ana")
    AccountHome(page).expect_signed_in("ana.demo")
    page.get_by_role("link", name="My bills").click()
    expect(page.get_by_role("heading", level=1, name="My bills")).to_be_visible()
    axe(page)

    page.get_by_label("Account").select_option("0001000421")
    page.get_by_role("button", name="Show bills").click()
    expect(page.get_by_role("cell", name="0001000413")).to_have_count(0)
    expect(page.get_by_role("cell", name="0001000421").first).to_be_visible()

    page.get_by_label("Period from").fill("2026-06")
    page.get_by_label("Period to").fill("2026-01")
    page.get_by_role("button", name="Show bills").click()
    expect(page.get_by_role("alert")).to_contain_text("The end of the period must be after its start")
    axe(page)

    pending = page.get_by_role("link", name="View online bill").first
    pending.click()
    expect(page.get_by_role("heading", level=1, name="Bill FA")).to_be_visible()
    page.get_by_text("Actions").click()
    axe(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the bill as JSON").click()
    data = json.loads(download_info.value.path().read_text())
    assert data["number"].startswith("FA")
    assert data["payment"]["cpr"] == "9050794"
