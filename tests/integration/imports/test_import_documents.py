"""A bill as the billing system sends it, with a decimal quantity and a unit price of six decimals, is
printed and described (Factur-X) exactly: the worked example of the README."""

from __future__ import annotations

import io
import re
from pathlib import Path

import facturx
from pypdf import PdfReader

from portal.bills import pdf as bill_pdf
from portal.db.tables import Bill
from portal.infra.storage import Storage
from portal.settings import Settings
from tests.integration.imports.import_steps import run

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "billing-import.jsonl"


async def test_the_worked_example_imports_and_its_decimal_line_is_printed_exactly(
    db: None, settings: Settings
) -> None:
    result = await run(EXAMPLE.read_bytes(), settings)
    assert result.summary == "imported 2 bills, 2 customers, 2 accounts, 1 payments; skipped 0; rejected 0"
    bill = await Bill.select(Bill.id).where(Bill.number == "FA-2026/000102").first()
    assert bill is not None
    storage = Storage(settings.storage)
    assert await bill_pdf.render(bill["id"], settings.issuer, storage, "en") == "rendered"
    assert await bill_pdf.render(bill["id"], settings.issuer, storage, "en") == "already stored"
    pdf = await storage.read(bill_pdf.key("FA-2026/000102", "en"))
    assert pdf is not None
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert re.search(r"Meter rental \(prorated\)\s+0,5\s+1,234567\s€\s+0,62\s€", text)
    _, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert b"<ram:ChargeAmount>1.234567</ram:ChargeAmount>" in xml
    assert b'<ram:BilledQuantity unitCode="C62">0.5</ram:BilledQuantity>' in xml
    assert b"<ram:GrandTotalAmount>607.61</ram:GrandTotalAmount>" in xml
