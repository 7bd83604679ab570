"""A credit bill (a corrective bill whose total is 0 or less), imported for Ana's account: My bills and its
page say "Nothing to pay" and show its amount as it is; nothing that collects money sees it (amount due,
pending bills, bills-due documents, card payment); its PDF prints no payment code and its Factur-X is a
credit note."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import facturx
from pypdf import PdfReader

from portal import clock
from portal.bills import services
from portal.db.tables import Bill, User
from portal.payment_documents import services as documents
from portal.settings import Settings
from portal.viewer import Viewer
from tests.conftest import pdf_ready, submit, wait_until
from tests.integration.imports.import_steps import run
from tests.steps import sign_in
from tests.unit.imports.import_samples import CREDIT_BILL, jsonl, record

ANA_ACCOUNT = "0001000413"
NUMBER = "FA-CREDIT/0001"
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


async def import_credit_bill(settings: Settings) -> dict[str, Any]:
    """A credit bill of 15.08 € for Ana's first account, of last month, said to be pending by the file."""
    end = clock.today() - timedelta(days=3)
    credit = record(
        CREDIT_BILL,
        number=NUMBER,
        account=ANA_ACCOUNT,
        period_start=(end - timedelta(days=30)).isoformat(),
        period_end=end.isoformat(),
        issue_date=(end + timedelta(days=1)).isoformat(),
        due_date=(end + timedelta(days=21)).isoformat(),
    )
    result = await run(jsonl(credit), settings)
    assert result.summary == "imported 1 bills, 0 customers, 0 accounts, 0 payments; skipped 0; rejected 0"
    bill = await Bill.select().where(Bill.number == NUMBER).first()
    assert bill is not None
    return bill


async def ana() -> Viewer:
    user = await User.select(User.id, User.email).where(User.username == "ana.demo").first()
    return Viewer(user["id"], "ana.demo", "private", user["email"], 0, clock.now())


def row_of(page: str, number: str) -> str:
    rows = [row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if number in row]
    assert len(rows) == 1, page
    return rows[0]


async def test_a_credit_bill_is_listed_as_nothing_to_pay_and_never_collected(
    client: Any, demo: None, settings: Settings
) -> None:
    viewer = await ana()
    owed = [
        (a.number, a.pending_cents, a.pending_count, a.overdue_count)
        for a in await services.account_status(viewer)
    ]
    bill = await import_credit_bill(settings)
    assert (bill["status"], bill["total_cents"], bill["payment_reference"]) == ("credit", -1508, None)
    assert [
        (a.number, a.pending_cents, a.pending_count, a.overdue_count)
        for a in await services.account_status(viewer)
    ] == owed  # the home page's amount due
    choosable = await documents.account_bills(viewer, ANA_ACCOUNT)
    assert choosable is not None and NUMBER not in [candidate.number for candidate in choosable.bills]

    await sign_in(client)
    listing = (await client.get("/bills")).text
    mine, pending = listing.split('id="pending-heading"')
    row = row_of(mine, NUMBER)
    assert '<span class="tag tag--purple">Nothing to pay</span>' in row
    assert "-15,08\u00a0€" in row
    # Nothing to pay, so no date to pay it by (a screen reader hears that there is none).
    no_due_date = '<span aria-hidden="true">–</span><span class="visually-hidden">No due date</span>'
    assert f'<td data-label="Due">{no_due_date}</td>' in row
    assert NUMBER not in pending
    filtered = (await client.get("/bills", params={"status": "credit"})).text
    assert '<option value="credit" selected>Nothing to pay</option>' in filtered
    statuses = re.findall(r'<td data-label="Status"><span class="tag tag--\w+">([^<]+)</span>', filtered)
    assert statuses == ["Nothing to pay"]
    assert NUMBER in filtered.split('id="pending-heading"')[0]

    page = (await client.get(f"/bills/{bill['id']}")).text
    assert (
        '<span class="tag tag--purple">Nothing to pay</span> <span class="amount">-15,08\u00a0€</span></p>'
        in page
    )
    assert "Amount in your favour: 15,08\u00a0€. There is nothing to pay for this bill." in page
    assert "Online payment" not in page and "Reference" not in page and "CPR code" not in page
    assert "<dt>Due</dt>" not in page and "<dt>Issued</dt>" in page
    card = await client.get("/pay/barcode", params={"bill": str(bill["id"])})
    field = re.search(r'<input [^>]*name="barcode"[^>]*>', card.text)
    assert field is not None and "value=" not in field[0]  # the form comes empty: no code to fill in

    exported = list(csv.DictReader(io.StringIO((await client.get("/bills/bills.csv?status=credit")).text)))
    assert [(r["bill_number"], r["amount_eur"], r["status"]) for r in exported] == [
        (NUMBER, "-15.08", "Nothing to pay")
    ]
    assert (await client.get(f"/bills/{bill['id']}/bill.json")).json()["payment"] is None


async def test_a_credit_bill_in_spanish(client: Any, demo: None, settings: Settings) -> None:
    bill = await import_credit_bill(settings)
    await sign_in(client)
    await submit(client, "/language", {"language": "es", "return_to": "/bills"})
    listing = (await client.get("/bills", params={"status": "credit"})).text
    assert '<option value="credit" selected>Nada que pagar</option>' in listing
    assert '<span class="tag tag--purple">Nada que pagar</span>' in row_of(listing, NUMBER)
    assert '<span class="visually-hidden">Sin fecha de vencimiento</span>' in row_of(listing, NUMBER)
    page = (await client.get(f"/bills/{bill['id']}")).text
    assert "Importe a su favor: 15,08\u00a0€. No hay nada que pagar por esta factura." in page


async def test_a_credit_bills_pdf_has_no_payment_code_and_its_factur_x_is_a_credit_note(
    client: Any, demo: None, worker: Any, settings: Settings
) -> None:
    bill = await import_credit_bill(settings)
    await sign_in(client)
    assert (await client.get(f"/bills/{bill['id']}/pdf")).status_code == 200
    await wait_until(pdf_ready(client, f"/bills/{bill['id']}/pdf/status"), every=0.2)
    pdf = (await client.get(f"/bills/{bill['id']}/pdf")).content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Amount in your favour" in text and "15,08" in text and NUMBER in text
    for payment in ("Total to pay", "CPR code", "Reference", "Cuaderno 57", "90507"):
        assert payment not in text
    _, attached = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    downloaded = (await client.get(f"/bills/{bill['id']}/factur-x.xml")).content
    for xml in (attached, downloaded):
        assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
        root = ET.fromstring(xml)
        assert root.find(".//ram:TypeCode", NS).text == "381"
        totals = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
        assert [totals.find(f"ram:{name}", NS).text for name in ("GrandTotalAmount", "DuePayableAmount")] == [
            "15.08",
            "15.08",
        ]
        line = root.find(".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", NS)
        assert line.text == "13.71"
        for collecting in ("PaymentReference", "SpecifiedTradeSettlementPaymentMeans", "DueDateDateTime"):
            assert root.find(f".//ram:{collecting}", NS) is None
