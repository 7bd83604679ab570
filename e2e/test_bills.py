"""My bills and View online bill, with JavaScript on and off, axe clean."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

import facturx
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from e2e.conftest import LiveStack
from e2e.pages.accounts import AccountHome, SignInPage
from e2e.pages.files import download_when_ready


def test_my_bills_and_view_online_bill(
    page: Page, base_url: str, local_stack: LiveStack, axe: Callable[[Page], None]
) -> None:
    customer = local_stack.customer(pending=(2, 0), user="private")
    first, second = (account.number for account in customer.accounts)
    user = customer.signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    AccountHome(page).expect_signed_in(user.username)
    page.get_by_role("link", name="My bills").click()
    expect(page.get_by_role("heading", level=1, name="My bills")).to_be_visible()
    axe(page)

    page.get_by_label("Account").select_option(second)
    page.get_by_role("button", name="Show bills").click()
    expect(page.get_by_role("cell", name=first)).to_have_count(0)
    expect(page.get_by_role("cell", name=second).first).to_be_visible()

    for legend, month, year in (("Period from", "6", "2026"), ("Period to", "1", "2026")):
        group = page.get_by_role("group", name=legend)
        group.get_by_label("Month").fill(month)
        group.get_by_label("Year").fill(year)
    page.get_by_role("button", name="Show bills").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Period to must be the same month as Period from or a later one"
    )
    expect(page.get_by_role("group", name="Period to").get_by_label("Month")).to_have_value("1")
    axe(page)

    pending = page.get_by_role("link", name="View online bill").first
    pending.click()
    expect(page.get_by_role("heading", level=1, name="Bill FA")).to_be_visible()
    page.get_by_text("Actions", exact=True).click()
    axe(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the bill as JSON").click()
    data = json.loads(download_info.value.path().read_text())
    assert data["number"].startswith("FA")
    assert data["payment"]["cpr"] == "9050794"


def test_download_the_bill_pdf(
    page: Page, base_url: str, local_stack: LiveStack, javascript: bool, axe: Callable[[Page], None]
) -> None:
    """Procedure 2's first steps: "My bills" → "View online bill" → "Actions" → the bill in PDF, whose
    text holds the 46 digits of the barcode and whose Factur-X attachment passes the official schema."""
    user = local_stack.customer(user="private").signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    page.get_by_role("link", name="My bills").click()
    # Boosted with JavaScript: the click returns before My bills is in (see test_pay_with_barcode_as_a_user).
    expect(page.get_by_role("heading", level=1, name="My bills")).to_be_visible()
    page.get_by_role("link", name="View online bill").first.click()
    page.get_by_text("Actions", exact=True).click()
    barcode = page.get_by_text("Issuer-suffix").locator("..").inner_text()
    assert "58818501" in barcode
    page.get_by_role("link", name="Download the bill as PDF").click()
    expect(page.get_by_role("heading", level=1, name="Your PDF is being prepared")).to_be_visible()
    axe(page)
    pdf = download_when_ready(page, javascript, re.compile(r"Download bill FA\d+ \(PDF\)"))
    text = re.sub(r"\s", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert re.search(r"9050758818501001\d{30}", text)
    _, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
