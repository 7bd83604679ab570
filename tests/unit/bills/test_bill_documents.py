"""Bill documents: the Factur-X XML and the PDF/A-3b bill that carries it (portal.bills.documents,
facturx and pdf)."""

import dataclasses
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import facturx
import pytest
from pypdf import PdfReader

from portal import i18n
from portal.banking.cuaderno57 import PaymentCode
from portal.bills.documents import BillDocument, BillLine, ConsumptionPoint, lines_from_json
from portal.bills.facturx import FACTUR_X_FILENAME, FACTUR_X_LEVEL, factur_x_xml
from portal.bills.pdf import draw, render_bill_html
from portal.infra.pdf import STATIC_PDF_DIR, AssetRefusedError, PackagedAssetFetcher
from portal.settings import IssuerSettings
from tests.pdf_checks import assert_archival_and_tagged

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}
ISSUER = IssuerSettings(
    name="Aguas de Ejemplo, S.A.",
    tax_id="A58818501",
    code="58818501",
    bill_suffix="001",
    document_suffix="501",
    document_days=10,
    iban="ES9121000418450200051332",
    bic="CAIXESBBXXX",
)
A4_POINTS = (595.28, 841.89)


def _line(kind, description, quantity, unit_price_cents):
    return {
        "kind": kind,
        "description": description,
        "quantity": quantity,
        "unit_price_cents": unit_price_cents,
        "amount_cents": quantity * unit_price_cents,
    }


def _bill(**changes):
    """A domestic bill for 12 m³ as the demo data prices it; ``changes`` replace fields, and the
    totals and payment code follow the lines."""
    lines = changes.pop(
        "lines",
        [
            _line("fixed", "Service charge (monthly)", 1, 675),
            _line("consumption", "Water 0–10 m³", 10, 58),
            _line("consumption", "Water 10–20 m³", 2, 92),
            _line("sewage", "Sewage", 12, 52),
        ],
    )
    taxable = sum(line["amount_cents"] for line in lines)
    vat = (taxable * 10 + 50) // 100
    lines = [*lines, _line("vat", "VAT 10%", 1, vat)]
    labels = ["Dec 25", "Jan 26", "Feb 26", "Mar 26", "Apr 26", "May 26", "Jun 26"]
    labels += ["Jul 26", "Aug 26", "Sep 26", "Oct 26", "Nov 26"]
    history = [9, 11, 10, 12, 8, 14, 17, 21, 19, 13, 10, 12]
    fields = {
        "issuer": ISSUER,
        "holder_name": "María García López",
        "holder_identity": "48213657E",
        "holder_address": "Calle Mayor 12, 3.º B, 28013 Madrid",
        "account_number": "0001000017",
        "tariff": "Domestic",
        "bill_number": "FA00000000025",
        "period_start": date(2026, 10, 1),
        "period_end": date(2026, 10, 31),
        "issue_date": date(2026, 11, 5),
        "due_date": date(2026, 11, 25),
        "reading_previous": 1234,
        "reading_current": 1246,
        "consumption_m3": 12,
        "lines": lines_from_json(lines),
        "taxable_cents": taxable,
        "vat_cents": vat,
        "total_cents": taxable + vat,
        "vat_percent": 10,
        # A credit bill (0 or less) has none.
        "payment": PaymentCode.build("58818501", "001", "00000000025", "051126", taxable + vat)
        if taxable + vat > 0
        else None,
        "history": tuple(ConsumptionPoint(label, m3) for label, m3 in zip(labels, history, strict=True)),
        "payment_method_note": None,
    }
    fields.update(changes)
    return BillDocument(**fields)


@pytest.fixture(scope="module")
def bill():
    return _bill()


@pytest.fixture(scope="module")
def pdf(bill):
    return draw(bill)


@pytest.fixture(scope="module")
def reader(pdf):
    return PdfReader(io.BytesIO(pdf))


def _qname(prefix, name):
    return f"{{{NS[prefix]}}}{name}"


def _text(reader):
    return "\n".join(page.extract_text() for page in reader.pages)


def _amount(element):
    return round(float(element.text) * 100)


# --- Factur-X XML --------------------------------------------------------------------------------------


def test_factur_x_xml_is_valid_against_the_official_xsd(bill):
    assert facturx.xml_check_xsd(factur_x_xml(bill), flavor="factur-x", level=FACTUR_X_LEVEL)


def test_factur_x_xml_totals_and_lines_are_the_documents_cents(bill):
    root = ET.fromstring(factur_x_xml(bill))
    items = root.findall(".//ram:IncludedSupplyChainTradeLineItem", NS)
    assert [_amount(item.find(".//ram:LineTotalAmount", NS)) for item in items] == [
        line.amount_cents for line in bill.lines if line.kind != "vat"
    ]
    assert [item.find(".//ram:Name", NS).text for item in items] == [
        "Service charge (monthly)",
        "Water 0–10 m³",
        "Water 10–20 m³",
        "Sewage",
    ]
    totals = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    assert _amount(totals.find("ram:LineTotalAmount", NS)) == bill.taxable_cents
    assert _amount(totals.find("ram:TaxBasisTotalAmount", NS)) == bill.taxable_cents
    assert _amount(totals.find("ram:TaxTotalAmount", NS)) == bill.vat_cents
    assert totals.find("ram:TaxTotalAmount", NS).get("currencyID") == "EUR"
    assert _amount(totals.find("ram:GrandTotalAmount", NS)) == bill.total_cents
    assert _amount(totals.find("ram:DuePayableAmount", NS)) == bill.total_cents
    tax = root.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    assert _amount(tax.find("ram:CalculatedAmount", NS)) == bill.vat_cents
    assert _amount(tax.find("ram:BasisAmount", NS)) == bill.taxable_cents
    assert tax.find("ram:CategoryCode", NS).text == "S"
    assert tax.find("ram:RateApplicablePercent", NS).text == "10"


def test_factur_x_xml_header_parties_and_payment(bill):
    root = ET.fromstring(factur_x_xml(bill))
    guideline = root.find(".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", NS)
    assert guideline.text == "urn:cen.eu:en16931:2017"
    assert root.find("rsm:ExchangedDocument/ram:ID", NS).text == "FA00000000025"
    assert root.find("rsm:ExchangedDocument/ram:TypeCode", NS).text == "380"
    assert root.find("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", NS).text == "20261105"
    seller = root.find(".//ram:SellerTradeParty", NS)
    assert seller.find("ram:Name", NS).text == "Aguas de Ejemplo, S.A."
    vat_id = seller.find("ram:SpecifiedTaxRegistration/ram:ID", NS)
    assert (vat_id.text, vat_id.get("schemeID")) == ("ESA58818501", "VA")
    buyer = root.find(".//ram:BuyerTradeParty", NS)
    assert buyer.find("ram:Name", NS).text == "María García López"
    assert buyer.find("ram:SpecifiedLegalOrganization/ram:ID", NS).text == "48213657E"
    assert buyer.find("ram:PostalTradeAddress/ram:PostcodeCode", NS).text == "28013"
    assert buyer.find("ram:PostalTradeAddress/ram:CityName", NS).text == "Madrid"
    settlement = root.find(".//ram:ApplicableHeaderTradeSettlement", NS)
    assert settlement.find("ram:InvoiceCurrencyCode", NS).text == "EUR"
    assert settlement.find("ram:PaymentReference", NS).text == bill.payment.reference
    iban = settlement.find(".//ram:PayeePartyCreditorFinancialAccount/ram:IBANID", NS)
    assert iban.text == "ES9121000418450200051332"
    due = settlement.find("ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString", NS)
    assert due.text == "20261125"


def test_a_credit_bill_is_a_credit_note_of_positive_amounts_with_nothing_to_collect():
    credit = _bill(lines=[_line("other", "Correction of bill FA00000000013", 1, -1371)])
    assert credit.total_cents == -1508
    xml = factur_x_xml(credit)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level=FACTUR_X_LEVEL)
    root = ET.fromstring(xml)
    assert root.find("rsm:ExchangedDocument/ram:TypeCode", NS).text == "381"
    assert root.find(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", NS).text == "13.71"
    totals = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    assert [_amount(total) for total in totals] == [1371, 1371, 137, 1508, 1508]
    settlement = root.find(".//ram:ApplicableHeaderTradeSettlement", NS)
    for collecting in (
        "ram:PaymentReference",
        "ram:SpecifiedTradeSettlementPaymentMeans",
        ".//ram:DueDateDateTime",
    ):
        assert settlement.find(collecting, NS) is None
    # BR-CO-25: a positive amount due needs a due date or payment terms; a credit note states its terms.
    terms = settlement.find("ram:SpecifiedTradePaymentTerms/ram:Description", NS)
    assert terms is not None and terms.text.startswith("Nothing to pay")


@pytest.mark.parametrize(
    ("lines", "type_code", "written"),
    [
        # An invoice with a discount: the discount's price positive, its quantity negative.
        (
            [_line("fixed", "Service charge", 1, 675), _line("other", "Discount", 1, -100)],
            "380",
            [("1", "6.75", 675), ("-1", "1.00", -100)],
        ),
        # A credit note that gives back more than it keeps: the kept charge's quantity is the negative one.
        (
            [_line("other", "Correction of bill FA00000000013", 1, -1371), _line("fixed", "Fee", 2, 100)],
            "381",
            [("1", "13.71", 1371), ("-2", "1.00", -200)],
        ),
    ],
)
def test_no_item_price_is_negative(lines, type_code, written):
    """BR-27: an item's net price (BT-146) is never negative; the quantity (BT-129) carries the sign, so
    that quantity × price is the line's amount (BT-131)."""
    xml = factur_x_xml(_bill(lines=lines))
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level=FACTUR_X_LEVEL)
    root = ET.fromstring(xml)
    assert root.find("rsm:ExchangedDocument/ram:TypeCode", NS).text == type_code
    items = root.findall(".//ram:IncludedSupplyChainTradeLineItem", NS)
    assert [
        (
            item.find(".//ram:BilledQuantity", NS).text,
            item.find(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", NS).text,
            _amount(
                item.find(".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", NS)
            ),
        )
        for item in items
    ] == written


def test_factur_x_xml_carries_any_text_safely():
    bill = _bill(holder_name='Ana <b>"Pérez"</b> & Hijos\x0b, S.L.', bill_number="FA<1>")
    xml = factur_x_xml(bill)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level=FACTUR_X_LEVEL)
    root = ET.fromstring(xml)
    assert root.find(".//ram:BuyerTradeParty/ram:Name", NS).text == 'Ana <b>"Pérez"</b> & Hijos, S.L.'
    assert root.find("rsm:ExchangedDocument/ram:ID", NS).text == "FA<1>"


# --- The document's own checks --------------------------------------------------------------------------


def test_a_bill_whose_amounts_do_not_add_up_is_refused(bill):
    with pytest.raises(ValueError, match="has a payment code"):
        dataclasses.replace(bill, payment=None)  # only a total of 0 or less goes without one
    with pytest.raises(ValueError, match="taxable_cents"):
        dataclasses.replace(bill, taxable_cents=bill.taxable_cents + 1)
    with pytest.raises(ValueError, match="total_cents"):
        dataclasses.replace(bill, vat_cents=bill.vat_cents + 1, lines=bill.lines[:-1])
    other_amount = PaymentCode.build("58818501", "001", "00000000025", "051126", bill.total_cents + 1)
    with pytest.raises(ValueError, match="payment code"):
        dataclasses.replace(bill, payment=other_amount)
    with pytest.raises(ValueError, match="kind"):
        BillLine("discount", "Discount", 1, -100, -100)


# --- The PDF --------------------------------------------------------------------------------------------


def test_pdf_prints_the_bill_and_its_payment_data(bill, reader):
    text = _text(reader)
    assert bill.payment.barcode_digits in text
    assert len(bill.payment.barcode_digits) == 46
    for printed in (
        "9050794",
        "58818501-001",
        bill.payment.reference,
        "051126",
        "FA00000000025",
        "0001000017",
        "DNI 48213657E",
        "22,69",
        "Total to pay",
        "Your account",
        "1234 m³",
        "1246 m³",
    ):
        assert printed in text, printed
    assert "will be debited" not in text


@pytest.mark.parametrize(
    ("cents", "box", "amount"), [(-1371, "Amount in your favour", "15,08"), (0, "Nothing to pay", "0,00")]
)
def test_a_credit_bill_prints_what_is_in_your_favour_and_no_payment_code(cents, box, amount):
    pdf = draw(_bill(lines=[_line("other", "Correction of bill FA00000000013", 1, cents)]))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = _text(reader)
    assert box in text and "There is nothing to pay for this bill." in text
    assert re.search(f"{box}\\s+{amount}\u00a0€", text)  # what is in your favour, as a positive amount
    for payment in ("Total to pay", "9050794", "58818501-001", "Cuaderno 57", "90507"):
        assert payment not in text
    assert_archival_and_tagged(pdf)


def test_pdf_is_one_a4_portrait_page(reader):
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_POINTS, abs=0.5)


def test_pdf_embeds_the_factur_x_xml(bill, pdf, reader):
    assert reader.attachments[FACTUR_X_FILENAME] == [factur_x_xml(bill)]
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert (filename, xml) == (FACTUR_X_FILENAME, factur_x_xml(bill))
    (filespec,) = [spec.get_object() for spec in reader.trailer["/Root"]["/AF"]]
    assert filespec["/F"] == FACTUR_X_FILENAME
    assert filespec["/AFRelationship"] == "/Alternative"  # EN 16931 profile


def test_pdf_xmp_declares_pdfa_3b_and_factur_x(reader):
    packet = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    xmpmeta = ET.fromstring(packet)
    (rdf,) = xmpmeta.findall("rdf:RDF", NS)  # one rdf:RDF: XMP readers only read the first
    values = {}
    for description in rdf.findall("rdf:Description", NS):
        values.update(description.attrib)
        values.update({child.tag: child.text for child in description})
    assert values[_qname("pdfaid", "part")] == "3"
    assert values[_qname("pdfaid", "conformance")] == "B"
    assert values[_qname("fx", "DocumentType")] == "INVOICE"
    assert values[_qname("fx", "DocumentFileName")] == FACTUR_X_FILENAME
    assert values[_qname("fx", "Version")] == "1.0"
    assert values[_qname("fx", "ConformanceLevel")] == "EN 16931"
    assert rdf.find(".//pdfaSchema:namespaceURI", NS).text == NS["fx"]
    assert rdf.find(".//pdfaSchema:prefix", NS).text == "fx"


def test_pdf_uses_only_the_packaged_fonts(reader):
    fonts = reader.pages[0]["/Resources"]["/Font"].values()
    names = {font.get_object()["/BaseFont"].split("+")[-1] for font in fonts}
    assert names == {"Bill-Sans", "Bill-Sans-Bold", "Bill-Mono"}  # the @font-face names in bill.css


def test_same_bill_renders_the_same(bill, pdf, reader):
    again = draw(bill)
    assert _text(PdfReader(io.BytesIO(again))) == _text(reader)
    assert again == pdf  # dates in the file come from the bill, not the clock


def test_direct_debit_bill_says_it_will_be_debited_and_still_prints_the_code():
    bill = _bill(payment_method_note="Paid by direct debit from ES91 **** 1332")
    text = _text(PdfReader(io.BytesIO(draw(bill))))
    assert "This bill will be debited to your account." in text
    assert "ES91 **** 1332" in text
    assert bill.payment.barcode_digits in text


def test_a_bill_too_long_for_one_page_never_prints_over_the_payment_details():
    long_lines = [_line("fixed", f"Meter maintenance, part {i} of 9", 1, 100) for i in range(1, 10)]
    bill = _bill(lines=[_line("sewage", "Sewage", 12, 52), *long_lines])
    reader = PdfReader(io.BytesIO(draw(bill)))
    assert len(reader.pages) == 2
    assert "Meter maintenance, part 9 of 9" in reader.pages[0].extract_text()
    assert bill.payment.barcode_digits in reader.pages[1].extract_text()


def test_chart_has_a_text_alternative_with_every_period(bill):
    html = render_bill_html(bill)
    assert 'alt="Your consumption in your last 12 bills, in m³: Dec 25: 9;' in html
    assert 'Nov 26: 12">' in html


def test_the_spanish_bill_names_its_barcode_in_spanish(bill):
    with i18n.speaking("es"):
        html = render_bill_html(bill)
    assert f'aria-label="Código de barras {bill.payment.barcode_digits}"' in html
    assert "Barcode" not in html


def test_chart_prints_each_value_and_label_over_its_bar(bill, reader):
    """The values and period labels are rows of monospaced text, each centred in its bar's slot."""
    text = _text(reader)
    assert "Dec 25  Jan 26  Feb 26" in text and "Oct 26  Nov 26" in text
    assert " 9       11      10      12 " in render_bill_html(bill)


def test_html_escapes_the_holders_data():
    html = render_bill_html(_bill(holder_name="<script>alert(1)</script>"))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- What WeasyPrint may read ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/x.png",
        "ftp://example.com/x.png",
        (STATIC_PDF_DIR / "fonts").as_uri() + "/../../../pyproject.toml",
        (STATIC_PDF_DIR / "missing.css").as_uri(),
        STATIC_PDF_DIR.as_uri(),  # a folder, not a file
        "file://example.com" + (STATIC_PDF_DIR / "bill.css").as_posix(),
        "javascript:alert(1)",
    ],
)
def test_url_fetcher_refuses_anything_but_packaged_assets(url):
    with pytest.raises(AssetRefusedError):
        PackagedAssetFetcher().fetch(url)


def test_url_fetcher_refuses_a_symlink_out_of_the_folder(tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    root = tmp_path / "pdf"
    root.mkdir()
    (root / "link.css").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(AssetRefusedError):
        PackagedAssetFetcher(root).fetch((root / "link.css").as_uri())


def test_url_fetcher_serves_packaged_assets_and_data_uris():
    fetcher = PackagedAssetFetcher()
    css = fetcher.fetch((STATIC_PDF_DIR / "bill.css").as_uri())
    assert css.content_type == "text/css"
    assert b"@font-face" in css.read()
    font = fetcher.fetch((STATIC_PDF_DIR / "fonts" / "DejaVuSansMono.ttf").as_uri())
    assert font.read(4) == b"\x00\x01\x00\x00"  # a TrueType font
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


@pytest.mark.parametrize("points", [0, 1, 3])
def test_a_short_history_still_makes_one_page(points):
    history = tuple(ConsumptionPoint(f"P{index}", 10 + index) for index in range(points))
    bill = _bill(history=history, period_start=date(2025, 12, 1), period_end=date(2026, 1, 31))
    reader = PdfReader(io.BytesIO(draw(bill)))
    text = _text(reader)
    assert len(reader.pages) == 1
    assert "1 Dec 2025 – 31 Jan 2026 (62 days)" in text
    assert ("Your consumption in your last" in text) == (points > 0)


def test_pdf_is_archival_and_every_figure_has_its_text(pdf):
    assert_archival_and_tagged(pdf)


def test_a_long_word_in_a_charge_breaks_inside_its_column_and_quantities_keep_their_decimals():
    # The import allows 200 characters without a space: they ran over the quantity, price and amount
    # columns and off the page. Babel's default printed a quantity of 0.0333 as 0,033.
    import pypdfium2

    word = "W" * 150
    line = {"kind": "other", "description": word, "quantity": "0.0333", "unit_price_cents": 300}
    bill = _bill(lines=[{**line, "amount_cents": 10}])
    pdf = pypdfium2.PdfDocument(draw(bill))
    text = pdf[0].get_textpage()
    content = text.get_text_range()
    quantity_column = text.get_charbox(content.index("Quantity"))[0]
    charges = range(content.index("Amount"), content.index("Taxable amount"))
    rights = [text.get_charbox(index)[2] for index in charges if content[index] == "W"]
    assert len(rights) == len(word) and max(rights) < quantity_column
    assert "0,0333" in content  # the portal prints decimals with a comma in English too
