"""Massive bills download, with JavaScript on and off, axe clean at each step and in each state: request,
mark bills, check (the Excel list read back), confirm, then "Downloads requested" until the zip is ready,
whose PDFs are counted; a request of an account the user no longer sees says so, and so does one whose file
storage lost."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from e2e.conftest import LiveStack
from e2e.pages.accounts import AccountHome, SignInPage
from e2e.pages.downloads import DownloadsRequested, MassiveDownload
from e2e.pages.profile import ManageAccount


def test_massive_bills_download(
    page: Page, base_url: str, local_stack: LiveStack, javascript: bool, axe: Callable[[Page], None]
) -> None:
    customer = local_stack.customer(pending=(2, 0), user="private")
    user = customer.signs_in_as
    name = "Household bills"
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    AccountHome(page).expect_signed_in(user.username)
    expect(page.get_by_role("heading", name="Recent downloads")).to_be_visible()

    flow = MassiveDownload(page).open_from_all_transactions()
    axe(page)
    flow.request_download()
    axe(page)

    # Mistakes are shown next to their fields, with what was typed kept.
    page.get_by_label("Name of the downloaded file").fill("../../")
    page.get_by_role("radio", name="Choose the months").check()
    flow.fill_month("First month", "6", "2026")
    flow.fill_month("Last month", "1", "2026")
    flow.continue_()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a name with at least one letter or digit")
    expect(summary).to_contain_text("Last month must be the same as the first month or a later one")
    expect(page.get_by_role("group", name="First month").get_by_label("Month")).to_have_value("6")
    expect(summary).to_contain_text("Select how to choose the bills")
    expect(page).to_have_title("Error: Request download – Customer Service Area – Aguas de Ejemplo, S.A.")
    axe(page)

    flow.fill_details(name, "Last 6 months", "By identity document", customer.identity)
    flow.expect_marking_page()
    boxes = flow.bill_boxes()
    count = boxes.count()
    assert 10 <= count <= 14  # 6 months of 2 accounts
    flow.expect_marked(0)
    boxes.nth(0).check()
    boxes.nth(1).check()
    if javascript:
        flow.expect_marked(2)  # updated as each box is ticked, and focus stays on the box
        expect(boxes.nth(1)).to_be_focused()
    axe(page)
    flow.clear()
    flow.expect_marked(0)
    flow.select_all_shown()
    flow.expect_marked(count)
    if javascript:  # the page is swapped in place: the user stays on the button
        expect(page.get_by_role("button", name="Select all shown")).to_be_focused()
    flow.continue_()

    flow.expect_check_page()
    expect(page.get_by_text(f"{name}.zip")).to_be_visible()
    expect(page.get_by_role("link", name="Change file name")).to_be_visible()
    axe(page)
    excel = flow.download_list()
    assert excel.suggested_filename == f"{name}.xlsx"
    sheet = load_workbook(io.BytesIO(excel.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Bill number" and len(rows) == count + 1
    assert all(isinstance(row[5], dt.datetime) and isinstance(row[7], float | int) for row in rows[1:])

    with local_stack.worker_held():  # the request stays queued until the page shows it so
        flow.confirm()
        expect(page.get_by_text("You will receive an email when the files are ready")).to_be_visible()
        expect(page.get_by_text("check the spam folder")).to_be_visible()
        axe(page)

        requested = DownloadsRequested(page).open()
        expect(requested.row(name)).to_contain_text("Queued: waiting to start")
        expect(page.get_by_role("button", name="Check again")).to_be_visible()
        axe(page)  # queued
        keep = page.get_by_role("link", name="Request download")
        keep.focus()
    if javascript:
        # The list updates itself without taking focus, and says politely what changed.
        expect(page.get_by_role("link", name=f"Download {name}.zip")).to_be_visible(timeout=120_000)
        expect(keep).to_be_focused()
        expect(page.locator("#live-status")).to_contain_text(f"{name}.zip: ready.")
    download = requested.wait_and_download(f"{name}.zip", javascript)
    assert download.suggested_filename == f"{name}.zip"
    with zipfile.ZipFile(download.path()) as archive:
        names = archive.namelist()
    assert len([entry for entry in names if entry.endswith(".pdf")]) == count
    assert {"index.csv", "index.json"} <= set(names)
    expect(requested.row(name)).to_contain_text("Ready")
    axe(page)  # ready


def test_failed_and_expired_requests(
    page: Page, base_url: str, local_stack: LiveStack, axe: Callable[[Page], None]
) -> None:
    user = local_stack.customer(identity="cif", pending=(0, 0), user="administrator").signs_in_as
    ids = {
        state: local_stack.download_request(user.username, state, f"{state} bills")
        for state in ("failed", "expired")
    }
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    ManageAccount(page).open()  # settled first: the home page has a "Downloads requested" link too
    requested = DownloadsRequested(page).open()
    expect(requested.row("expired bills.zip")).to_contain_text("The file was deleted")
    failed = requested.row("failed bills.zip")
    expect(failed).to_contain_text("Failed")
    axe(page)
    failed.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", level=1, name="Downloads requested")).to_be_visible()
    expect(requested.row("failed bills.zip")).not_to_contain_text("Failed")
    axe(page)
    # The expired file's old link (a bookmark): what became of it, and the way back to the list.
    response = page.goto(f"{base_url}/downloads/{ids['expired']}/file")
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1, name="This file has expired")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {user.username}")).to_be_visible()
    axe(page)
    page.get_by_role("main").get_by_role("link", name="Downloads requested", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Downloads requested")).to_be_visible()


def test_a_ready_file_that_storage_lost(
    page: Page, base_url: str, local_stack: LiveStack, javascript: bool, axe: Callable[[Page], None]
) -> None:
    """A ready file deleted from storage before its time: the list says it cannot be found and links to no
    file; its address (a bookmark) says so too, and leads to "Request download"."""
    user = local_stack.customer(pending=(0, 0), user="private").signs_in_as
    request_id = local_stack.download_request(user.username, "failed", "Lost file bills")
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    ManageAccount(page).open()  # settled first: the home page has a "Downloads requested" link too
    requested = DownloadsRequested(page).open()
    requested.row("Lost file bills.zip").get_by_role("button", name="Try again").click()
    requested.wait_and_download("Lost file bills.zip", javascript)  # ready: a real zip, made by the worker

    local_stack.lose_stored_file(f"downloads/{request_id}.zip")
    page.reload()
    row = requested.row("Lost file bills.zip")
    expect(row).to_contain_text("File not found")
    expect(row).to_contain_text("We cannot find its file, so it cannot be downloaded.")
    expect(row.get_by_role("link")).to_have_count(0)
    axe(page)

    response = page.goto(f"{base_url}/downloads/{request_id}/file")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1, name="This file cannot be found")).to_be_visible()
    expect(page.get_by_text("We cannot find the file of Lost file bills.zip")).to_be_visible()
    axe(page)
    page.get_by_role("main").get_by_role("link", name="Request download", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Request download")).to_be_visible()


def test_a_request_of_an_account_no_longer_seen(
    page: Page, base_url: str, local_stack: LiveStack, axe: Callable[[Page], None]
) -> None:
    """The user's access to the account of a request was removed: the request says so, and why, and offers
    neither its file nor "Try again"."""
    user = local_stack.customer(pending=(0, 0), user="private").signs_in_as
    local_stack.download_request(user.username, "failed", "Lost bills")
    local_stack.remove_access_to_request(user.username, "Lost bills")
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    AccountHome(page).expect_signed_in(user.username)
    expect(page.get_by_text("Lost bills.zip: No longer available")).to_be_visible()
    ManageAccount(page).open()
    requested = DownloadsRequested(page).open()
    row = requested.row("Lost bills.zip")
    expect(row).to_contain_text("No longer available")
    expect(row).to_contain_text("You no longer have access to some of its accounts")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(row.get_by_role("link")).to_have_count(0)
    axe(page)


@pytest.mark.parametrize("javascript", [True], ids=["js"])  # ticking a box sends a partial request
def test_a_ticked_box_after_another_tab_signed_out_or_confirmed(
    page: Page, base_url: str, local_stack: LiveStack, axe: Callable[[Page], None]
) -> None:
    """Two tabs of one person. Signed out in the other tab, a box ticked here leads the whole window to
    "Sign in" and, signed in again, back to the marking page; with the request confirmed in the other tab,
    it leads to the confirmation. Before: a whole error page appeared inside the "bills marked" box."""
    customer = local_stack.customer(pending=(2,), user="private")
    user = customer.signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    AccountHome(page).expect_signed_in(user.username)
    flow = MassiveDownload(page)
    page.goto(f"{base_url}/downloads/new")
    flow.fill_details("Two tabs", "Last 6 months", "By identity document", customer.identity)
    flow.expect_marking_page()
    marking = page.url

    other = page.context.new_page()
    other.goto(f"{base_url}/account")
    AccountHome(other).sign_out()
    flow.bill_boxes().nth(0).click()  # click, not check: the page is left before the box could show it
    sign_in = SignInPage(page).expect_open()
    axe(page)
    sign_in.sign_in(user.username, user.password)
    flow.expect_marking_page()
    assert page.url == marking

    flow.bill_boxes().nth(0).check()
    flow.expect_marked(1)
    other.goto(marking)
    MassiveDownload(other).continue_()
    MassiveDownload(other).confirm()
    flow.bill_boxes().nth(1).click()
    expect(page.get_by_role("heading", level=1, name="Download requested")).to_be_visible()
    assert page.url == other.url
    axe(page)
