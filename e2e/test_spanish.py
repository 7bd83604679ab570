"""The journeys once more in Spanish, with JavaScript on and off and axe at each step: registration,
My bills (its Excel list) → View online bill → the PDF, a massive download (its email and index), and pay
by CPR code. The browser asks for Spanish (Accept-Language),
and the payment goes to English and back with the header's switcher. The page
objects find controls by role and their Spanish accessible names (the portal's catalogue, `SPANISH`);
a few names are written out here too, so that a catalogue gone English would fail."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from email.header import decode_header, make_header
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from e2e.conftest import LiveStack
from e2e.data import bill_details, mistyped_amount, payment_data
from e2e.pages import SPANISH
from e2e.pages.accounts import AccountHome, PasswordPage, Registration, SignInPage
from e2e.pages.downloads import DownloadsRequested, MassiveDownload
from e2e.pages.files import download_when_ready
from e2e.pages.payments import BillPayment, PaymentData
from e2e.pages.sandbox_bank import SandboxBank
from e2e.pages.site import HomePage
from e2e.test_register import activation_link

Axe = Callable[[Page], None]
_ = SPANISH


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "es-ES"}


def expect_spanish(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_register_in_spanish(
    page: Page, base_url: str, javascript: bool, axe: Axe, mailbox: Any, local_stack: LiveStack
) -> None:
    bill = bill_details(local_stack.customer(identity="dni"))
    username = f"es-{'js' if javascript else 'nojs'}"
    email = f"{username}@example.com"

    HomePage(page, base_url, SPANISH).open()
    expect_spanish(page)
    axe(page)
    page.get_by_role("navigation", name="Su servicio").get_by_role("link", name="Inicie sesión").click()
    sign_in = SignInPage(page, SPANISH).expect_open()
    axe(page)
    sign_in.register("private")

    registration = Registration(page, "private", SPANISH)
    expect(page.get_by_role("heading", level=1, name="Introduzca los datos de su factura")).to_be_visible()
    axe(page)
    registration.enter_bill(bill, amount="1,00")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("alert")).to_contain_text(
        "Estos datos no coinciden con ninguna de nuestras facturas"
    )
    expect(page.get_by_label("Número de contrato")).to_have_value(bill.account)
    axe(page)
    registration.enter_bill(bill)
    expect(page.get_by_role("heading", level=1, name=_("Choose your username"))).to_be_visible()
    axe(page)
    registration.continue_()  # nothing filled in: a message next to each field, in Spanish
    expect(page.get_by_role("alert")).to_contain_text(_("Read and accept the Privacy Policy to register"))
    axe(page)
    registration.enter_user(username, email)
    expect(
        page.get_by_role("heading", level=1, name=_("Check your answers before registering"))
    ).to_be_visible()
    axe(page)
    registration.confirm()
    expect(page.get_by_text(_("We have sent an email to %(email)s", email=email))).to_be_visible()
    expect_spanish(page)
    axe(page)

    link = activation_link(mailbox, email)  # the email is in Spanish too: its subject says so
    [message] = [m for m in mailbox.messages if m["To"] == email]
    assert "Oficina Virtual" in str(message.get_payload()[0].get_payload(decode=True).decode())
    page.goto(link)
    password = PasswordPage(page, SPANISH)
    axe(page)
    password.create("azul puerto violín mañana")
    home = AccountHome(page, SPANISH).expect_signed_in(username)
    home.expect_account(bill.account)
    expect_spanish(page)
    axe(page)


def test_my_bills_and_the_bill_pdf_in_spanish(
    page: Page, base_url: str, javascript: bool, axe: Axe, local_stack: LiveStack
) -> None:
    user = local_stack.customer(user="private").signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page, SPANISH).sign_in(user.username, user.password)
    AccountHome(page, SPANISH).expect_signed_in(user.username)
    page.get_by_role("navigation", name=_("Main menu")).get_by_role("link", name="Mis facturas").click()
    expect(page.get_by_role("heading", level=1, name="Mis facturas")).to_be_visible()
    expect_spanish(page)
    axe(page)
    with page.expect_download() as excel:
        page.get_by_role("link", name="Descargar esta lista en Excel").click()
    sheet = load_workbook(io.BytesIO(excel.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Número de factura" and len(rows) > 1
    assert isinstance(rows[1][3], dt.datetime) and sheet.cell(row=2, column=4).number_format == "dd/mm/yyyy"

    page.get_by_role("link", name="Ver factura en línea").first.click()
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Factura FA\d+$"))).to_be_visible()
    page.get_by_text(_("Actions"), exact=True).click()
    axe(page)
    page.get_by_role("link", name="Descargar la factura en PDF").click()
    expect_spanish(page)
    axe(page)
    pdf = download_when_ready(page, javascript, re.compile(r"^Descargar la factura FA\d+ \(PDF\)$"), SPANISH)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "FACTURA DE AGUA" in text and "Total a pagar" in text and "Datos de pago" in text
    assert "WATER BILL" not in text
    assert re.search(r"9050758818501001\d{30}", re.sub(r"\s", "", text))


@pytest.mark.parametrize("javascript", [True], ids=["js"])  # test_downloads.py takes it without too
def test_a_massive_download_in_spanish(
    page: Page, base_url: str, javascript: bool, axe: Axe, local_stack: LiveStack, mailbox: Any
) -> None:
    """A user who never chose a language signs in from a Spanish browser: the download's pages, its email
    and its index are Spanish (the email and the zip were English: the job knew no language of hers)."""
    customer = local_stack.customer(user="private")
    user = customer.signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page, SPANISH).sign_in(user.username, user.password)
    AccountHome(page, SPANISH).expect_signed_in(user.username)
    flow = MassiveDownload(page, SPANISH).open_from_all_transactions()
    flow.request_download()
    flow.fill_details("Facturas", "Last 3 months", "By account number", customer.accounts[0].number)
    flow.expect_marking_page()
    flow.select_all_shown()
    flow.continue_()
    flow.expect_check_page()
    expect(page.get_by_text(re.compile(r"\(Últimos 3 meses\)$"))).to_be_visible()
    axe(page)
    flow.confirm()
    expect_spanish(page)

    [message] = mailbox.wait_for_sync(1, timeout=120, to=user.email)
    assert str(make_header(decode_header(message["Subject"]))).startswith("Sus facturas están listas")
    download = DownloadsRequested(page, SPANISH).open().wait_and_download("Facturas.zip", javascript)
    with zipfile.ZipFile(download.path()) as archive:
        assert archive.read("index.csv").decode().startswith("numero_factura,contrato,")
    axe(page)


def test_pay_by_cpr_code_in_spanish(
    page: Page,
    base_url: str,
    javascript: bool,
    axe: Axe,
    local_stack: LiveStack,
    mailbox: Any,
) -> None:
    due = local_stack.customer(identity="nie").accounts[0].pending[-1]
    data = payment_data(due)
    page.goto(base_url)
    BillPayment(page, SPANISH).open_from_menu()
    expect_spanish(page)
    # The header's switcher: to English and back, on the same page each time.
    page.get_by_role("button", name="English").click()
    BillPayment(page).expect_open()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/pay#language-switch$"))
    axe(page)
    page.get_by_role("button", name="Español").click()
    payment = BillPayment(page, SPANISH).expect_open()
    expect(page).to_have_url(re.compile(r"/pay#language-switch$"))
    expect_spanish(page)
    axe(page)
    payment.choose_cpr_code()
    expect(page.get_by_role("heading", level=1, name="Pagar ahora con código CPR")).to_be_visible()
    axe(page)
    payment.enter_code(
        PaymentData(data.cpr, data.issuer, data.reference, data.identification, mistyped_amount(due))
    )
    payment.expect_error(
        _(
            "The reference, identification and amount do not match each other: check all three as they are "
            "printed on your bill"
        )
    )
    axe(page)
    page.get_by_label(_("Amount, in euros")).fill(data.amount)
    page.get_by_role("button", name="Continuar").click()
    payment.expect_check(_("Bill %(number)s", number=due.number), f"{due.amount} €")
    axe(page)
    payment.start_payment("pagador@example.com")
    axe(page)
    payment.go_to_bank()

    bank = SandboxBank(page, SPANISH)  # the bank speaks the payer's language too
    expect_spanish(page)
    expect(page.get_by_role("heading", level=1, name="Pago con tarjeta")).to_be_visible()
    axe(page)
    bank.pay(card=SandboxBank.AUTHORISED)
    bank.expect_result("Pago autorizado")
    axe(page)
    bank.return_to_merchant()
    payment.wait_for("Pago realizado", javascript=javascript)
    expect_spanish(page)
    axe(page)
    [message] = mailbox.wait_for_sync(1, to="pagador@example.com")
    body = message.get_payload()[0].get_payload(decode=True).decode()
    assert "Gracias: su pago con tarjeta a Aguas de Ejemplo, S.A. ha sido autorizado por el banco." in body


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_what_was_typed_survives_the_language_switch(
    page: Page, base_url: str, axe: Axe, local_stack: LiveStack
) -> None:
    """With JavaScript, switching language keeps what was typed in the page's forms (never a password);
    without it the page comes back blank, as any page loaded anew."""
    due = local_stack.customer().accounts[0].pending[-1]
    data = payment_data(due)
    page.goto(f"{base_url}/pay")
    BillPayment(page, SPANISH).expect_open().choose_cpr_code()
    typed = {
        "CPR code": data.cpr,
        "Issuer": data.issuer,
        "Reference": data.reference,
        "Identification": data.identification,
        "Amount, in euros": data.amount,
    }
    for label, value in typed.items():
        page.get_by_label(_(label), exact=True).fill(value)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1, name="Pay now with CPR code")).to_be_visible()
    for label, value in typed.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    axe(page)
    page.get_by_role("button", name="Continue").click()
    BillPayment(page).expect_check(f"Bill {due.number}", f"{due.amount} €")

    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Username or email address").fill("someone")
    page.get_by_label("Password", exact=True).fill("a secret")
    page.get_by_role("button", name="Español").click()
    expect_spanish(page)
    expect(page.get_by_label(_("Username or email address"))).to_have_value("someone")
    expect(page.get_by_label(_("Password"), exact=True)).to_have_value("")
    # The password's Show/Hide button speaks the page's language too (its words come from the page).
    page.get_by_label(_("Password"), exact=True).fill("a secret")
    page.get_by_role("button", name="Mostrar contraseña").click()
    expect(page.get_by_role("button", name="Ocultar contraseña")).to_have_text("Ocultar")
    expect(page.get_by_label(_("Password"), exact=True)).to_have_attribute("type", "text")


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_the_bills_due_dialog_counts_in_spanish(
    page: Page, base_url: str, axe: Axe, local_stack: LiveStack
) -> None:
    """With JavaScript, "Create bills due document" asks in a dialog that counts the ticked bills in the
    page's words ("2 facturas", "1 factura"; portal.js wrote "2 bills")."""
    customer = local_stack.customer(user="private", pending=(2,))
    user, account = customer.signs_in_as, customer.accounts[0].number
    page.goto(f"{base_url}/sign-in")
    SignInPage(page, SPANISH).sign_in(user.username, user.password)
    AccountHome(page, SPANISH).expect_signed_in(user.username)
    page.goto(f"{base_url}/payment-documents/bills?account={account}")
    boxes = page.get_by_role("checkbox", name=re.compile("^" + _("Pay bill %(number)s", number="FA")))
    expect(boxes).to_have_count(2)
    dialog = page.get_by_role("dialog", name=_("Create the bills due document?"))
    for ticked, count in ((2, "2 facturas"), (1, "1 factura")):
        for index in range(2):
            boxes.nth(index).set_checked(index < ticked)
        page.get_by_role("button", name=_("Create bills due document")).click()
        expect(dialog).to_contain_text(f"Un documento para {count} del contrato {account}")
        axe(page)
        dialog.get_by_role("button", name=_("Cancel")).click()
        expect(dialog).to_be_hidden()


@pytest.mark.parametrize("javascript", [False], ids=["no-js"])
def test_no_sideways_scroll_at_320_pixels_with_200_percent_text(
    page: Page, base_url: str, local_stack: LiveStack
) -> None:
    """At 320 px with the browser's text at 200 % (32 px), Spanish's longer words still fit: My bills' cards
    ("Vencimiento" beside "FA00500000001"), a bill's lines, the headings and the registration buttons
    (they made the page 340 to 470 px wide)."""
    page.set_viewport_size({"width": 320, "height": 640})
    text = page.context.new_cdp_session(page)
    text.send("Page.enable")
    text.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    user = local_stack.customer(user="private", pending=(2,)).signs_in_as
    wide = []

    def width_of(path: str) -> None:
        page.goto(f"{base_url}{path}")
        expect_spanish(page)
        if (width := page.evaluate("document.documentElement.scrollWidth")) > 320:
            wide.append(f"{path}: {width} px")

    for path in ("/register", "/sign-in"):
        width_of(path)
    SignInPage(page, SPANISH).sign_in(user.username, user.password)
    AccountHome(page, SPANISH).expect_signed_in(user.username)
    width_of("/bills")
    page.get_by_role("link", name="Ver factura en línea").first.click()
    width_of(page.url.removeprefix(base_url))
    assert not wide, wide


def test_the_chosen_language_outlives_signing_out(
    browser: Browser, base_url: str, javascript: bool, local_stack: LiveStack
) -> None:
    """An English browser, Español chosen with the switcher: after "Sign out" the pages stay Spanish (the
    sign-out's Clear-Site-Data took the language cookie with the session's, and they turned English)."""
    user = local_stack.customer(user="private").signs_in_as
    context = browser.new_context(locale="en-GB", java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/sign-in")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_role("button", name="Español").click()
        SignInPage(page, SPANISH).sign_in(user.username, user.password)
        AccountHome(page, SPANISH).expect_signed_in(user.username)
        page.get_by_role("button", name=_("Sign out")).click()
        expect(page.get_by_role("heading", level=1, name=_("You have signed out"))).to_be_visible()
        expect_spanish(page)
        page.goto(f"{base_url}/")
        expect_spanish(page)
    finally:
        context.close()
