"""A bill as a Factur-X invoice: the UN/CEFACT Cross Industry Invoice XML (profile EN 16931) that the
printed bill carries as ``factur-x.xml``, and the finisher that declares it in the PDF/A metadata (XMP), so
that one file is both the bill a customer reads and the invoice an accounting program imports."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import Any

from portal.bills.documents import METERED_KINDS, BillDocument, split_address

FACTUR_X_FILENAME = "factur-x.xml"
FACTUR_X_LEVEL = "en16931"
"""The profile, as ``facturx.xml_check_xsd(level=...)`` names it."""
_FACTUR_X_GUIDELINE = "urn:cen.eu:en16931:2017"
_FACTUR_X_XMP_LEVEL = "EN 16931"
# Factur-X 1.0: "Data" for MINIMUM and BASIC WL, "Alternative" for BASIC, EN 16931 and EXTENDED.
FACTUR_X_RELATIONSHIP = "Alternative"


# --- Factur-X (UN/CEFACT CII, EN 16931) ---------------------------------------------------------------

_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
for _prefix, _uri in (("rsm", _RSM), ("ram", _RAM), ("udt", _UDT), ("qdt", _QDT)):
    ET.register_namespace(_prefix, _uri)

# Characters XML 1.0 cannot carry at all; ElementTree would write them and produce a broken file.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_UNIT_CODES = dict.fromkeys(METERED_KINDS, "MTQ")  # UN/ECE rec. 20: cubic metre; others C62 (one)


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text).strip()


def _el(parent: ET.Element, namespace: str, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{namespace}}}{tag}", attrib)
    if text is not None:
        element.text = _clean(text)
    return element


def _ram(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    return _el(parent, _RAM, tag, text, **attrib)


def _amount(cents: int) -> str:
    """Cents as a decimal amount with two decimals, ``1469`` → ``14.69``: exact, no floats."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros}.{rest:02d}"


def unit_amount(cents: Decimal) -> str:
    """A unit price in euros with at least two decimals and as many more as it has (``0.583333``)."""
    euros = cents / 100
    return f"{euros:.2f}" if euros == round(euros, 2) else str(euros.normalize())


def _date_102(parent: ET.Element, tag: str, day: date) -> None:
    wrapper = _ram(parent, tag)
    _el(wrapper, _UDT, "DateTimeString", day.strftime("%Y%m%d"), format="102")


def _vat_id(tax_id: str) -> str:
    """A Spanish NIF as a VAT identifier: with its ``ES`` prefix."""
    tax_id = tax_id.strip().upper()
    return tax_id if tax_id.startswith("ES") else f"ES{tax_id}"


def factur_x_xml(doc: BillDocument) -> bytes:
    """The bill as a Factur-X invoice, profile EN 16931 (UN/CEFACT Cross Industry Invoice), UTF-8.

    Invoice lines are the bill's lines except VAT, which goes into the VAT breakdown (category S at
    ``vat_percent``). Every amount is written from the document's integer cents, so the totals are
    exactly those printed. A credit bill (`BillDocument.is_credit`) is a credit note (type 381): its
    amounts and prices are negated, as a credit note states what it gives back as positive amounts, and
    it has no payment reference, means or due date (nothing is to be collected; its payment terms say
    so). It validates with ``facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")``.
    """
    root = ET.Element(f"{{{_RSM}}}CrossIndustryInvoice")
    sign = -1 if doc.is_credit else 1

    context = _el(root, _RSM, "ExchangedDocumentContext")
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", _FACTUR_X_GUIDELINE)

    header = _el(root, _RSM, "ExchangedDocument")
    _ram(header, "ID", doc.bill_number)
    _ram(header, "TypeCode", "381" if doc.is_credit else "380")  # credit note, or commercial invoice
    _date_102(header, "IssueDateTime", doc.issue_date)
    note = (
        f"Water supply account {doc.account_number} ({doc.tariff}), {doc.holder_address}. "
        f"Meter readings {doc.reading_previous} m3 to {doc.reading_current} m3: {doc.consumption_m3} m3."
    )
    if doc.payment_method_note:
        note += f" {doc.payment_method_note}."
    _ram(_ram(header, "IncludedNote"), "Content", note)

    transaction = _el(root, _RSM, "SupplyChainTradeTransaction")
    for number, line in enumerate(doc.billable_lines, start=1):
        item = _ram(transaction, "IncludedSupplyChainTradeLineItem")
        _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", str(number))
        product = _ram(item, "SpecifiedTradeProduct")
        _ram(product, "SellerAssignedID", line.kind)
        _ram(product, "Name", line.description)
        agreement = _ram(item, "SpecifiedLineTradeAgreement")
        price, quantity = sign * line.unit_price_cents, line.quantity
        if price < 0:
            # BR-27: an item's net price is never negative. A line that takes off (a discount on an
            # invoice, a charge kept in a credit note) says so with its quantity, and quantity × price
            # is still its amount.
            price, quantity = -price, -quantity
        _ram(_ram(agreement, "NetPriceProductTradePrice"), "ChargeAmount", unit_amount(price))
        delivery = _ram(item, "SpecifiedLineTradeDelivery")
        _ram(delivery, "BilledQuantity", str(quantity), unitCode=_UNIT_CODES.get(line.kind, "C62"))
        settlement = _ram(item, "SpecifiedLineTradeSettlement")
        tax = _ram(settlement, "ApplicableTradeTax")
        _ram(tax, "TypeCode", "VAT")
        _ram(tax, "CategoryCode", "S")
        _ram(tax, "RateApplicablePercent", str(doc.vat_percent))
        summation = _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
        _ram(summation, "LineTotalAmount", _amount(sign * line.amount_cents))

    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    seller = _ram(agreement, "SellerTradeParty")
    _ram(seller, "Name", doc.issuer.name)
    _ram(_ram(seller, "SpecifiedLegalOrganization"), "ID", doc.issuer.tax_id)
    _ram(_ram(seller, "PostalTradeAddress"), "CountryID", "ES")
    _ram(_ram(seller, "SpecifiedTaxRegistration"), "ID", _vat_id(doc.issuer.tax_id), schemeID="VA")
    buyer = _ram(agreement, "BuyerTradeParty")
    _ram(buyer, "Name", doc.holder_name)
    _ram(_ram(buyer, "SpecifiedLegalOrganization"), "ID", doc.holder_identity)
    address = _ram(buyer, "PostalTradeAddress")
    street, postcode, city = split_address(doc.holder_address)
    if postcode:
        _ram(address, "PostcodeCode", postcode)
    _ram(address, "LineOne", street)
    if city:
        _ram(address, "CityName", city)
    _ram(address, "CountryID", "ES")
    _ram(_ram(agreement, "ContractReferencedDocument"), "IssuerAssignedID", doc.account_number)

    _ram(transaction, "ApplicableHeaderTradeDelivery")

    settlement = _ram(transaction, "ApplicableHeaderTradeSettlement")
    if doc.payment is not None:
        _ram(settlement, "PaymentReference", doc.payment.reference)
    _ram(settlement, "InvoiceCurrencyCode", "EUR")
    if doc.payment is not None:
        means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _ram(means, "TypeCode", "58")  # SEPA credit transfer to the issuer, quoting the payment reference
        _ram(
            means,
            "Information",
            f"Cuaderno 57: {doc.payment.issuer_suffix} reference {doc.payment.reference}",
        )
        _ram(_ram(means, "PayeePartyCreditorFinancialAccount"), "IBANID", doc.issuer.iban.replace(" ", ""))
        if doc.issuer.bic:
            _ram(_ram(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", doc.issuer.bic)
    tax = _ram(settlement, "ApplicableTradeTax")
    _ram(tax, "CalculatedAmount", _amount(sign * doc.vat_cents))
    _ram(tax, "TypeCode", "VAT")
    _ram(tax, "BasisAmount", _amount(sign * doc.taxable_cents))
    _ram(tax, "CategoryCode", "S")
    _ram(tax, "RateApplicablePercent", str(doc.vat_percent))
    period = _ram(settlement, "BillingSpecifiedPeriod")
    _date_102(period, "StartDateTime", doc.period_start)
    _date_102(period, "EndDateTime", doc.period_end)
    terms = _ram(settlement, "SpecifiedTradePaymentTerms")
    if doc.is_credit:
        # No due date: nothing is collected. Its amount due is stated positive, and validators that apply
        # BR-CO-25 (a positive amount due needs a due date or payment terms) want the terms said.
        _ram(terms, "Description", "Nothing to pay: the amount is in the customer's favour.")
    else:
        if doc.payment_method_note:
            _ram(terms, "Description", doc.payment_method_note)
        _date_102(terms, "DueDateDateTime", doc.due_date)
    totals = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(totals, "LineTotalAmount", _amount(sign * doc.taxable_cents))
    _ram(totals, "TaxBasisTotalAmount", _amount(sign * doc.taxable_cents))
    _ram(totals, "TaxTotalAmount", _amount(sign * doc.vat_cents), currencyID="EUR")
    _ram(totals, "GrandTotalAmount", _amount(sign * doc.total_cents))
    _ram(totals, "DuePayableAmount", _amount(sign * doc.total_cents))

    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


# XMP: the Factur-X extension schema (PDF/A requires custom properties to be declared) and its values.
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
_PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
_PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
_FX = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
for _prefix, _uri in (
    ("x", "adobe:ns:meta/"),
    ("rdf", _RDF),
    ("pdfaExtension", _PDFA_EXTENSION),
    ("pdfaSchema", _PDFA_SCHEMA),
    ("pdfaProperty", _PDFA_PROPERTY),
    ("fx", _FX),
):
    ET.register_namespace(_prefix, _uri)
_FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document", FACTUR_X_FILENAME),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER", "INVOICE"),
    ("Version", "The actual version of the standard applying to the embedded XML document", "1.0"),
    ("ConformanceLevel", "The conformance level of the embedded XML document", _FACTUR_X_XMP_LEVEL),
)


def _factur_x_xmp() -> list[ET.Element]:
    """Two ``rdf:Description`` elements: the ``fx:`` schema declaration and the ``fx:`` values."""
    about = {f"{{{_RDF}}}about": ""}
    resource = {f"{{{_RDF}}}parseType": "Resource"}
    extension = ET.Element(f"{{{_RDF}}}Description", about)
    bag = ET.SubElement(ET.SubElement(extension, f"{{{_PDFA_EXTENSION}}}schemas"), f"{{{_RDF}}}Bag")
    schema = ET.SubElement(bag, f"{{{_RDF}}}li", resource)
    ET.SubElement(schema, f"{{{_PDFA_SCHEMA}}}schema").text = "Factur-X PDFA Extension Schema"
    ET.SubElement(schema, f"{{{_PDFA_SCHEMA}}}namespaceURI").text = _FX
    ET.SubElement(schema, f"{{{_PDFA_SCHEMA}}}prefix").text = "fx"
    seq = ET.SubElement(ET.SubElement(schema, f"{{{_PDFA_SCHEMA}}}property"), f"{{{_RDF}}}Seq")
    values = ET.Element(f"{{{_RDF}}}Description", about)
    for name, description, value in _FX_PROPERTIES:
        prop = ET.SubElement(seq, f"{{{_RDF}}}li", resource)
        ET.SubElement(prop, f"{{{_PDFA_PROPERTY}}}name").text = name
        ET.SubElement(prop, f"{{{_PDFA_PROPERTY}}}valueType").text = "Text"
        ET.SubElement(prop, f"{{{_PDFA_PROPERTY}}}category").text = "external"
        ET.SubElement(prop, f"{{{_PDFA_PROPERTY}}}description").text = description
        ET.SubElement(values, f"{{{_FX}}}{name}").text = value
    return [extension, values]


def finish_pdf(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: the Factur-X XMP properties, and one ``/AF`` entry per attachment.

    WeasyPrint's own ``xmp_metadata`` option appends a second ``rdf:RDF`` after its own, and XMP
    readers built on Adobe's toolkit (veraPDF among them) read the first one only; so the descriptions
    go into WeasyPrint's ``rdf:RDF`` instead, next to ``pdfaid:part`` and ``pdfaid:conformance``.
    WeasyPrint 70 also lists each attachment twice in the catalog's ``/AF`` array.
    """
    if "AF" in pdf.catalog:
        pdf.catalog["AF"][:] = list(dict.fromkeys(pdf.catalog["AF"]))
    stream = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
    xmpmeta = ET.fromstring(b"".join(stream.stream))  # noqa: S314 (WeasyPrint wrote it, just now)
    rdf = xmpmeta.find(f"{{{_RDF}}}RDF")
    if rdf is None:  # pragma: no cover - WeasyPrint always writes one for PDF/A
        raise RuntimeError("WeasyPrint wrote no rdf:RDF into the PDF/A metadata")
    rdf.extend(_factur_x_xmp())
    packet = ET.tostring(xmpmeta, encoding="utf-8", xml_declaration=False)
    stream.stream = [
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + packet
        + b'\n<?xpacket end="r"?>'
    ]
