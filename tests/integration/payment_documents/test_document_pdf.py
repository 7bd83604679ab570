""" "Bills due": the document's PDF is rendered once by the worker, stored and served; it prints the
46-digit code under its barcode and an EPC QR code that pays the same amount by transfer."""

import datetime as dt
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from portal import clock, i18n
from portal.banking.epc import epc_payload
from portal.db.tables import PaymentDocument
from portal.infra.storage import Storage
from portal.payment_documents import pdf, services
from portal.templating import format_day
from tests.conftest import pdf_ready, submit, wait_until
from tests.integration.payment_documents.test_document_journey import (
    ANA_ACCOUNT,
    create,
    pending_bills,
    sign_in,
)
from tests.pdf_checks import assert_archival_and_tagged


def symbols(pdf: bytes) -> dict[str, str]:
    """What a scanner reads off the printed first page, by symbology."""
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    return {found.format.name: found.text for found in zxingcpp.read_barcodes(page)}


async def test_bills_due_pdf_is_prepared_then_served_with_its_codes(
    client: Any, demo: None, worker: Any, settings: Any
) -> None:
    await sign_in(client)
    bills = await pending_bills(ANA_ACCOUNT)
    document_path = (
        (await create(client, [b["id"] for b in bills], confirmed="yes")).headers["location"].split("?")[0]
    )
    first = await client.get(f"{document_path}/pdf")
    assert first.status_code == 200
    assert "Your PDF is being prepared" in first.text and "Check again" in first.text

    await wait_until(pdf_ready(client, f"{document_path}/pdf/status"), every=0.2)

    pdf = await client.get(f"{document_path}/pdf")
    document = await PaymentDocument.select().first()
    reference = document["payment_reference"]
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    assert f'filename="bills-due-{reference}.pdf"' in pdf.headers["content-disposition"]

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    digits = (
        f"90507{settings.issuer.code}{settings.issuer.document_suffix}{reference}"
        f"{document['payment_identification']}{document['total_cents']:010d}0"
    )
    assert len(digits) == 46 and digits in re.sub(r"\s", "", text)
    for bill in bills:
        assert bill["number"] in text
    assert "9050794" in text and format_day(document["deadline"]) in text
    assert_archival_and_tagged(pdf.content)

    read = symbols(pdf.content)
    assert re.sub(r"[()]", "", read["Code128"]) == digits
    assert read["QRCode"] == epc_payload(
        settings.issuer.name,
        settings.issuer.iban,
        settings.issuer.bic,
        document["total_cents"],
        text=f"Bills due {reference} account {ANA_ACCOUNT}",
    )
    fields = read["QRCode"].split("\n")
    assert fields[:4] == ["BCD", "002", "1", "SCT"] and fields[6] == settings.issuer.iban
    assert fields[7] == "EUR" + str(document["total_cents"] / 100).rstrip("0").rstrip(".")

    assert await Storage(settings.storage).read(f"payment-documents/en/{reference}.pdf") == pdf.content


async def test_the_spanish_pdf_and_page_name_the_barcode_and_qr_code_in_spanish(
    client: Any, demo: None, settings: Any
) -> None:
    """Their accessible names are what a screen reader says for the two images: in the document's language."""
    await sign_in(client)
    bills = await pending_bills(ANA_ACCOUNT)
    location = (await create(client, [b["id"] for b in bills], confirmed="yes")).headers["location"]
    document_path = location.split("?")[0]
    document = await services.get_document_for_job(int(document_path.rsplit("/", 1)[1]), settings.issuer)
    assert document is not None
    with i18n.speaking("es"):
        printed = pdf.render_html(document, settings.issuer)
    await submit(client, "/language", {"language": "es", "return_to": "/"})
    shown = (await client.get(document_path)).text
    for html in printed, shown:
        assert "<title>Código QR para pagar por transferencia bancaria</title>" in html
        assert f'aria-label="Código de barras {document.code.barcode_digits}"' in html
        assert "QR code to pay" not in html and "Barcode" not in html


async def test_a_document_made_just_after_midnight_in_madrid_is_dated_that_day(
    client: Any, demo: None, settings: Any
) -> None:
    """00:30 in Madrid is still the day before in UTC: the PDF's creation date is the customer's day, the
    one its deadline counts from."""
    day = clock.today() + dt.timedelta(days=1)
    with clock.frozen_at(dt.datetime.combine(day, dt.time(0, 30), ZoneInfo("Europe/Madrid"))):
        await sign_in(client)
        bills = await pending_bills(ANA_ACCOUNT)
        location = (await create(client, [b["id"] for b in bills], confirmed="yes")).headers["location"]
    document = await services.get_document_for_job(
        int(location.split("?")[0].rsplit("/", 1)[1]), settings.issuer
    )
    assert document is not None and document.deadline == day + dt.timedelta(
        days=settings.issuer.document_days
    )
    printed = pdf.render_html(document, settings.issuer)
    assert f"<dd>{format_day(day)}</dd>" in printed
    assert f'<meta name="dcterms.created" content="{day.isoformat()}">' in printed


async def test_abandoned_drafts_go_after_a_day(client: Any, demo: None) -> None:
    await sign_in(client)
    bills = await pending_bills(ANA_ACCOUNT)
    await create(client, [bills[0]["id"]])
    await create(client, [bills[1]["id"]], confirmed="yes")
    await services.purge_drafts()
    assert await PaymentDocument.count() == 2
    await services.purge_drafts(clock.now() + dt.timedelta(hours=25))
    assert await PaymentDocument.count() == 1
    assert (await PaymentDocument.select(PaymentDocument.status).first())["status"] == "pending"
