"""The language of a page: the signed-in user's choice, else the switcher's cookie, else the browser's
Accept-Language, else DEFAULT_LANGUAGE; unknown values are ignored. Emails go out in the recipient's
language, and a bill's PDF is printed once per language it is asked in; the bills due document and the
card receipt print in Spanish too."""

import io
from email.header import decode_header, make_header
from typing import Any

from pypdf import PdfReader

from portal.db.tables import PaymentDocument, User
from portal.infra.storage import Storage
from portal.payments.redsys import decode_parameters
from tests.conftest import all_mail_sent, pdf_ready, submit, wait_until
from tests.integration.bills.test_bill_files import ana_bill
from tests.integration.payment_documents.test_document_journey import ANA_ACCOUNT, create, pending_bills
from tests.integration.payments.helpers import (
    MARIA_CENTS,
    check_page,
    gateway_fields,
    notification,
    notify,
    start_payment,
)
from tests.steps import ADMIN, page_language, sign_in


def language_of(page: Any) -> str:
    return page_language(page.text)


async def switch(client: Any, language: str, next_path: str = "/") -> Any:
    return await submit(client, "/language", {"language": language, "return_to": next_path})


async def test_the_browser_language_else_the_default(client: Any, db: None) -> None:
    for header, expected in [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("fr-FR,fr;q=0.9,es-MX;q=0.5", "es"),
        ("en-GB,es;q=0.5", "en"),
        ("fr, de;q=0.5", "en"),  # nothing the portal speaks: the default
        ("es;q=nonsense", "en"),  # broken: ignored
    ]:
        page = await client.get("/", headers={"accept-language": header})
        assert page.status_code == 200
        assert language_of(page) == expected, header
    spanish = await client.get("/", headers={"accept-language": "es"})
    # The switcher offers the other language, named in itself.
    assert 'lang="en"' in spanish.text and ">English</button>" in spanish.text
    assert 'id="language-switch">English</button>' in spanish.text  # where the switch comes back to
    assert ">Español</button>" not in spanish.text


async def test_the_switcher_remembers_the_choice_and_comes_back_to_the_page(client: Any, db: None) -> None:
    response = await switch(client, "es", "/payments/pay?from=menu")
    assert response.status_code == 303
    # Back to the page, to the switcher: the focus stays on it (a fragment naming the switcher's button).
    assert response.headers["location"] == "/payments/pay?from=menu#language-switch"
    assert "language=es" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]
    # The cookie beats the browser's language, on every page, error pages too.
    assert language_of(await client.get("/", headers={"accept-language": "en"})) == "es"
    missing = await client.get("/no-such-page", headers={"accept-language": "en"})
    assert missing.status_code == 404 and language_of(missing) == "es"

    # Unknown languages and other sites' addresses change nothing and go nowhere else.
    unknown = await switch(client, "tlh", "/payments/pay")
    assert unknown.status_code == 303 and unknown.headers["location"] == "/payments/pay#language-switch"
    assert "set-cookie" not in unknown.headers or "language=" not in unknown.headers["set-cookie"]
    assert language_of(await client.get("/")) == "es"
    away = await switch(client, "en", "//evil.example/")
    assert away.headers["location"] == "/#language-switch"
    assert language_of(await client.get("/", headers={"accept-language": "es"})) == "en"

    # A cookie with a value the portal does not speak is ignored quietly.
    client.cookies.set("language", "xx")
    assert language_of(await client.get("/", headers={"accept-language": "es"})) == "es"


async def test_a_signed_in_users_choice_is_kept_with_their_account(client: Any, demo: None) -> None:
    await sign_in(client)
    await switch(client, "es", "/account")
    assert (await User.select(User.language).where(User.username == "ana.demo").first()) == {"language": "es"}
    client.cookies.clear()  # another browser: no cookie, an English one
    await sign_in(client)
    page = await client.get("/account", headers={"accept-language": "en"})
    assert page.status_code == 200 and language_of(page) == "es"


async def test_signing_in_sets_the_language_cookie_to_the_users_choice(client: Any, demo: None) -> None:
    await sign_in(client)
    await switch(client, "es", "/account")
    client.cookies.clear()  # another browser: no cookie, an English one
    english = {"accept-language": "en"}
    assert language_of(await client.get("/", headers=english)) == "en"
    await sign_in(client)
    # An error page does not read the session: it follows the cookie that signing in set.
    assert language_of(await client.get("/no-such-page", headers=english)) == "es"
    # A public page shown inside the signed-in area follows the user's choice, whatever the cookie says.
    client.cookies.set("language", "en")
    assert language_of(await client.get("/privacy", headers=english)) == "es"

    # Someone who never chose a language gets the one of the page they signed in on (the browser's),
    # stored as theirs: their emails and files follow the pages (it was left unset, and they were English).
    client.cookies.clear()
    assert (await User.select(User.language).where(User.username == ADMIN[0]).first()) == {"language": None}
    client.headers["accept-language"] = "es"
    await sign_in(client, ADMIN)
    assert (await User.select(User.language).where(User.username == ADMIN[0]).first()) == {"language": "es"}
    assert client.cookies.get("language") == "es"
    assert language_of(await client.get("/no-such-page", headers=english)) == "es"


async def test_emails_are_in_the_recipients_language(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    # Ana chose Spanish; the request for a new password comes from an English browser.
    await sign_in(client)
    await switch(client, "es", "/account")
    client.cookies.clear()
    english = {"accept-language": "en"}
    assert (
        await submit(client, "/password/forgotten", {"login": "ana.demo"}, headers=english)
    ).status_code == 303
    # The administrator chose nothing: the email is in the language of the request.
    spanish = {"accept-language": "es"}
    assert (
        await submit(client, "/password/forgotten", {"login": ADMIN[0]}, headers=spanish)
    ).status_code == 303
    assert await all_mail_sent() == 2
    subjects = [" ".join(str(make_header(decode_header(m["Subject"]))).split()) for m in mailbox.messages]
    assert subjects == ["Cree una nueva contraseña para la Oficina Virtual de Aguas de Ejemplo, S.A."] * 2
    body = mailbox.messages[0].get_payload()[0].get_payload(decode=True).decode()
    assert body.startswith("Hola, ") and "El enlace es válido durante 1 hora" in body


async def test_a_bill_is_printed_once_per_language(
    client: Any, demo: None, worker: Any, settings: Any
) -> None:
    bill = await ana_bill()
    await sign_in(client)
    texts = {}
    for language in ("es", "en"):
        await switch(client, language, f"/bills/{bill['id']}")
        await client.get(f"/bills/{bill['id']}/pdf")
        await wait_until(pdf_ready(client, f"/bills/{bill['id']}/pdf/status"), every=0.2)
        pdf = await client.get(f"/bills/{bill['id']}/pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert await Storage(settings.storage).read(f"bills/{language}/{bill['number']}.pdf") == pdf.content
        texts[language] = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "FACTURA DE AGUA" in texts["es"] and "Total a pagar" in texts["es"]
    assert "WATER BILL" in texts["en"] and "Total to pay" in texts["en"]
    assert "FACTURA DE AGUA" not in texts["en"]


def pdf_text(pdf: Any) -> str:
    assert pdf.headers["content-type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)


async def test_the_bills_due_document_in_spanish(client: Any, demo: None, worker: Any, settings: Any) -> None:
    await sign_in(client)
    await switch(client, "es", "/payment-documents/")
    bills = await pending_bills(ANA_ACCOUNT)
    created = await create(client, [bill["id"] for bill in bills], confirmed="yes")
    document_path = created.headers["location"].split("?")[0]
    await client.get(f"{document_path}/pdf")
    await wait_until(pdf_ready(client, f"{document_path}/pdf/status"), every=0.2)
    pdf = await client.get(f"{document_path}/pdf")
    text = pdf_text(pdf)
    for spanish in (
        "DOCUMENTO DE PAGO",
        "Las facturas que paga este documento",
        "Cómo pagar",
        "Total a pagar",
        "Pagar hasta el",  # its deadline is the last day the banks take it ("incluido")
    ):
        assert spanish in text
    assert "BILLS DUE" not in text and "How to pay" not in text
    reference = (await PaymentDocument.select(PaymentDocument.payment_reference).first())["payment_reference"]
    assert await Storage(settings.storage).read(f"payment-documents/es/{reference}.pdf") == pdf.content


async def test_the_card_receipt_in_spanish(client: Any, demo: None, worker: Any, settings: Any) -> None:
    await switch(client, "es", "/pay/code")  # a payer who is not signed in
    order = await start_payment(client, await check_page(client))
    await notify(client, notification(order, MARIA_CENTS))
    await wait_until(pdf_ready(client, f"/payments/{order}/receipt/status"), every=0.2)
    pdf = await client.get(f"/payments/{order}/receipt.pdf")
    text = pdf_text(pdf)
    for spanish in ("JUSTIFICANTE DE PAGO", "Importe pagado", "Código de autorización", "14,69\xa0€"):
        assert spanish in text
    assert "PAYMENT RECEIPT" not in text and "Amount paid" not in text
    assert await Storage(settings.storage).read(f"receipts/es/{order}.pdf") == pdf.content


async def test_the_bank_is_asked_to_speak_the_payers_language(client: Any, demo: None) -> None:
    """DS_MERCHANT_CONSUMERLANGUAGE is Redsys' number of the payer's language (it was always English's)."""
    for language, code in (("es", "001"), ("en", "002")):
        client.cookies.clear()  # another payer's browser: a new order
        await switch(client, language, "/pay/code")
        order = await start_payment(client, await check_page(client))
        parameters = decode_parameters((await gateway_fields(client, order))["Ds_MerchantParameters"])
        assert parameters["DS_MERCHANT_CONSUMERLANGUAGE"] == code


async def test_spanish_counts_agree_with_their_number(client: Any, demo: None) -> None:
    """Ana has one overdue bill: "1 vencida", not "1 vencidas" (a plural form per number, as in English)."""
    await sign_in(client)
    await switch(client, "es", "/account")
    home = (await client.get("/account")).text
    assert '<strong class="overdue">1 vencida</strong>' in home
    bills = (await client.get("/bills")).text
    assert "2 facturas pendientes, 1 vencida:" in bills
