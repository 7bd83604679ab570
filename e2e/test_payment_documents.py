""" "Create a list of bills due": Manage your account → Payment documents → the account → its pending bills →
"Create bills due document" → confirm (a dialog with JavaScript, a page without) → "Bills due" PDF."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from e2e.conftest import LiveStack
from e2e.pages.accounts import AccountHome, SignInPage
from e2e.pages.files import download_when_ready
from e2e.pages.payment_documents import PaymentDocuments


def test_create_a_bills_due_document_and_download_it(
    page: Page, base_url: str, local_stack: LiveStack, javascript: bool, axe: Callable[[Page], None]
) -> None:
    customer = local_stack.customer(pending=(2, 0), user="private")  # one account with nothing due
    account, user = customer.accounts[0].number, customer.signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    for menu in ("All transactions", "Manage your account"):  # the main menu's hubs
        page.get_by_role("navigation", name="Main menu").get_by_role("link", name=menu).click()
        expect(page.get_by_role("heading", level=1, name=menu)).to_be_visible()
        axe(page)
    documents = PaymentDocuments(page)
    documents.open_from_manage_your_account()
    axe(page)

    page.get_by_role("button", name="Continue").click()  # no account chosen
    expect(page.get_by_role("alert")).to_contain_text("Select the account for which you want to pay bills")
    axe(page)
    documents.choose_account(account)
    axe(page)

    page.get_by_role("link", name="Select all").click()
    boxes = documents.bill_boxes()
    expect(boxes).to_have_count(2)
    for index in range(2):
        expect(boxes.nth(index)).to_be_checked()
    if javascript:  # the page is swapped in place: the user stays where they were
        expect(page.get_by_role("link", name="Select all")).to_be_focused()
    page.get_by_role("link", name="Clear").click()
    expect(boxes.first).not_to_be_checked()
    if javascript:
        expect(page.get_by_role("link", name="Clear")).to_be_focused()

    documents.create_button().click()  # nothing selected: the server says so
    expect(page.get_by_role("alert")).to_contain_text("Select at least one bill to pay")
    axe(page)
    documents.select_all()

    if javascript:
        documents.create_button().click()
        dialog = documents.dialog()
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("2 bills of account " + account)
        expect(dialog.get_by_role("button", name="Create document")).to_be_focused()
        axe(page)
        page.keyboard.press("Escape")  # Esc cancels; focus goes back to the button
        expect(dialog).to_be_hidden()
        expect(documents.create_button()).to_be_focused()
        page.keyboard.press("Enter")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        expect(documents.create_button()).to_be_focused()
        documents.create_button().click()
        dialog.get_by_role("button", name="Create document").click()
    else:
        documents.create_button().click()
        expect(page.get_by_role("heading", level=1, name="Create the bills due document?")).to_be_visible()
        axe(page)
        page.get_by_role("link", name="Cancel").click()
        expect(page.get_by_role("heading", level=1, name="Select the bills to pay")).to_be_visible()
        documents.select_all()
        documents.create_button().click()
        page.get_by_role("button", name="Create document").click()

    reference = documents.expect_document()
    expect(page.get_by_role("alert")).to_contain_text("Document created")
    if javascript:  # the success banner is what to hear first (after a swap as after a page load)
        expect(page.get_by_role("alert")).to_be_focused()
    axe(page)
    digits = page.locator(".payment-codes__digits").inner_text()
    assert re.fullmatch(r"9050758818501501" + reference + r"\d{17}", digits)

    page.get_by_role("link", name="Bills due").click()
    expect(page.get_by_role("heading", level=1, name="Your PDF is being prepared")).to_be_visible()
    axe(page)
    pdf = download_when_ready(page, javascript, f"Download bills due document {reference} (PDF)")
    text = re.sub(r"\s", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert digits in text

    # The document is listed, and its bills can no longer be chosen for another one.
    page.get_by_role("link", name="Back", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Bills due document {reference}")).to_be_visible()
    page.get_by_role("link", name="Back", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Payment documents")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(reference))
    expect(row).to_contain_text("Pending")
    documents.choose_account(account)
    expect(documents.bill_boxes()).to_have_count(0)
    expect(page.get_by_text(f"In document {reference}").first).to_be_visible()
    axe(page)


def test_a_confirmation_page_left_open_while_its_bills_went_into_a_document(
    page: Page, base_url: str, local_stack: LiveStack, javascript: bool, axe: Callable[[Page], None]
) -> None:
    """Two tabs on the same bills: the second one confirms (in the dialog, with JavaScript); the first one,
    reloaded, says why it can no longer be confirmed and leads back to the bills."""
    customer = local_stack.customer(pending=(2,), user="private")
    account, user = customer.accounts[0].number, customer.signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    AccountHome(page).expect_signed_in(user.username)
    documents = PaymentDocuments(page)
    page.goto(f"{base_url}/payment-documents/bills?account={account}")
    documents.select_all()
    documents.confirm_on_a_page(javascript)

    other_tab = page.context.new_page()
    other_tab.goto(f"{base_url}/payment-documents/bills?account={account}")
    other = PaymentDocuments(other_tab)
    other.select_all()
    other.create_button().click()
    confirm = other.dialog() if javascript else other_tab
    confirm.get_by_role("button", name="Create document").click()
    reference = other.expect_document()
    other_tab.close()

    page.reload()
    expect(page.get_by_role("alert")).to_contain_text(f"is already in bills due document {reference}")
    expect(page.get_by_role("button", name="Create document")).to_have_count(0)
    axe(page)
    page.get_by_role("link", name="Select the bills again").click()
    expect(page.get_by_role("heading", level=1, name="Select the bills to pay")).to_be_visible()
    expect(documents.bill_boxes()).to_have_count(0)
    expect(page.get_by_text(f"In document {reference}").first).to_be_visible()
