"""A bill as documents: the printed PDF and the machine-readable Factur-X invoice inside it.

:func:`render_bill_pdf` draws one A4 page from ``templates/pdf/bill.html`` and writes it as a PDF/A-3b
with :func:`factur_x_xml` attached as ``factur-x.xml`` (profile EN 16931), so that one file is both the
bill a customer reads and the invoice an accounting program imports. The Cuaderno 57 payment data and
its barcode are printed at the bottom (``specs/payment-codes.md``).

Rendering is synchronous and CPU-bound (0.2–0.3 s of CPU per bill on a busy 2-core machine, against
≈ 20 ms for a bare one-paragraph page): call it from a thread (``asyncio.to_thread``) or a process
pool, never on the event loop. Each thread keeps its own parsed stylesheet and loaded fonts.

WeasyPrint reads nothing but the files under ``static/pdf/`` (see :class:`PackagedAssetFetcher`), so a
bill renders the same on any machine and a template can never make it reach the network or the disk.
"""

from __future__ import annotations

import gc
import mimetypes
import os
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Template
from markupsafe import Markup
from stdnum.es import cif, dni, nie
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal.banking.barcode import QUIET_ZONE_X_MM, barcode_svg, code128c_modules
from portal.banking.cuaderno57 import CPR_CUADERNO_57, PaymentCode
from portal.banking.money import format_eur
from portal.settings import PROJECT_ROOT, IssuerSettings
from portal.templating import format_day, make_environment

__all__ = [
    "FACTUR_X_FILENAME",
    "FACTUR_X_LEVEL",
    "STATIC_PDF_DIR",
    "AssetRefusedError",
    "BillDocument",
    "BillLine",
    "ConsumptionPoint",
    "PackagedAssetFetcher",
    "factur_x_xml",
    "gc_paused",
    "lines_from_json",
    "render_bill_html",
    "render_bill_pdf",
    "render_tagged_pdf",
]

STATIC_PDF_DIR = PROJECT_ROOT / "static" / "pdf"
"""The only files a bill's PDF may use: its stylesheet and fonts."""

# fontTools stamps every embedded font subset with the current time, unless SOURCE_DATE_EPOCH says
# otherwise (reproducible-builds.org): without a fixed stamp, two renders of the same bill a second apart
# differ, and an issued bill's file must not depend on when it was rendered.
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
TEMPLATE_NAME = "pdf/bill.html"
STYLESHEET = STATIC_PDF_DIR / "bill.css"

FACTUR_X_FILENAME = "factur-x.xml"
FACTUR_X_LEVEL = "en16931"
"""The profile, as ``facturx.xml_check_xsd(level=...)`` names it."""
_FACTUR_X_GUIDELINE = "urn:cen.eu:en16931:2017"
_FACTUR_X_XMP_LEVEL = "EN 16931"
# Factur-X 1.0: "Data" for MINIMUM and BASIC WL, "Alternative" for BASIC, EN 16931 and EXTENDED.
_FACTUR_X_RELATIONSHIP = "Alternative"

MAX_HISTORY = 12
_BILLABLE_KINDS = ("fixed", "consumption", "sewage")
_VAT_KIND = "vat"
_KINDS = (*_BILLABLE_KINDS, _VAT_KIND)


# --- The document ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BillLine:
    """One printed line, as stored in ``Bill.lines``: ``kind`` is fixed, consumption, sewage or vat."""

    kind: str
    description: str
    quantity: int
    unit_price_cents: int
    amount_cents: int

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"A bill line's kind is one of {', '.join(_KINDS)}, not {self.kind!r}")


@dataclass(frozen=True, slots=True)
class ConsumptionPoint:
    """One bar of the consumption chart: a period's short label (``Oct 26``) and its m³."""

    label: str
    m3: int


@dataclass(frozen=True, slots=True)
class BillDocument:
    """Everything printed on one bill. Constructing it checks that the amounts add up.

    ``lines`` are the bill's lines in print order, the VAT line(s) included; ``history`` is up to the
    last 12 periods, oldest first, this bill's period last. ``payment_method_note`` is set when the bill
    is paid by direct debit (e.g. ``Paid by direct debit from ES91 **** 1332``): the payment section then
    says it will be debited, and still prints the payment code.
    """

    issuer: IssuerSettings
    holder_name: str
    holder_identity: str
    holder_address: str
    account_number: str
    tariff: str
    bill_number: str
    period_start: date
    period_end: date
    issue_date: date
    due_date: date
    reading_previous: int
    reading_current: int
    consumption_m3: int
    lines: tuple[BillLine, ...]
    taxable_cents: int
    vat_cents: int
    total_cents: int
    payment: PaymentCode
    history: tuple[ConsumptionPoint, ...] = ()
    vat_percent: int = 10
    payment_method_note: str | None = None

    def __post_init__(self) -> None:
        billable = sum(line.amount_cents for line in self.billable_lines)
        if billable != self.taxable_cents:
            raise ValueError(
                f"The lines add up to {billable} cents but taxable_cents is {self.taxable_cents}"
            )
        vat_lines = [line for line in self.lines if line.kind == _VAT_KIND]
        if vat_lines and sum(line.amount_cents for line in vat_lines) != self.vat_cents:
            raise ValueError("The VAT lines do not add up to vat_cents")
        if self.taxable_cents + self.vat_cents != self.total_cents:
            raise ValueError("taxable_cents + vat_cents must equal total_cents")
        if self.payment.amount_cents != self.total_cents:
            raise ValueError("The payment code's amount must be the bill's total")
        if self.payment.issuer != self.issuer.code:
            raise ValueError("The payment code's issuer must be the issuer's code")
        if len(self.history) > MAX_HISTORY:
            raise ValueError(f"The consumption chart shows at most {MAX_HISTORY} periods")
        if self.period_end < self.period_start:
            raise ValueError("The billing period ends before it starts")

    @property
    def billable_lines(self) -> tuple[BillLine, ...]:
        """The lines that make up the taxable amount (everything but VAT)."""
        return tuple(line for line in self.lines if line.kind != _VAT_KIND)


def lines_from_json(lines: Iterable[Mapping[str, Any]]) -> tuple[BillLine, ...]:
    """``Bill.lines`` (a list of dicts) as :class:`BillLine` objects."""
    return tuple(
        BillLine(
            kind=str(line["kind"]),
            description=str(line["description"]),
            quantity=int(line["quantity"]),
            unit_price_cents=int(line["unit_price_cents"]),
            amount_cents=int(line["amount_cents"]),
        )
        for line in lines
    )


# --- Factur-X (UN/CEFACT CII, EN 16931) ---------------------------------------------------------------

_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
for _prefix, _uri in (("rsm", _RSM), ("ram", _RAM), ("udt", _UDT), ("qdt", _QDT)):
    ET.register_namespace(_prefix, _uri)

# Characters XML 1.0 cannot carry at all; ElementTree would write them and produce a broken file.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_POSTCODE_CITY = re.compile(r"(?P<postcode>[0-9]{5})\s+(?P<city>\S.*)")
_UNIT_CODES = {"consumption": "MTQ", "sewage": "MTQ"}  # UN/ECE rec. 20: cubic metre; others C62 (one)


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


def _date_102(parent: ET.Element, tag: str, day: date) -> None:
    wrapper = _ram(parent, tag)
    _el(wrapper, _UDT, "DateTimeString", day.strftime("%Y%m%d"), format="102")


def _vat_id(tax_id: str) -> str:
    """A Spanish NIF as a VAT identifier: with its ``ES`` prefix."""
    tax_id = tax_id.strip().upper()
    return tax_id if tax_id.startswith("ES") else f"ES{tax_id}"


def _split_address(address: str) -> tuple[str, str, str]:
    """(street, postcode, city) of ``Calle Mayor 12, 3.º B, 28013 Madrid``; postcode and city may be ""."""
    street, _, last = address.rpartition(",")
    match = _POSTCODE_CITY.fullmatch(last.strip())
    if street and match:
        return street.strip(), match["postcode"], match["city"].strip()
    return address.strip(), "", ""


def _vat_line_description(doc: BillDocument) -> str:
    return next((line.description for line in doc.lines if line.kind == _VAT_KIND), f"VAT {doc.vat_percent}%")


def factur_x_xml(doc: BillDocument) -> bytes:
    """The bill as a Factur-X invoice, profile EN 16931 (UN/CEFACT Cross Industry Invoice), UTF-8.

    Invoice lines are the bill's lines except VAT, which goes into the VAT breakdown (category S at
    ``vat_percent``). Every amount is written from the document's integer cents, so the totals are
    exactly those printed. It validates with ``facturx.xml_check_xsd(xml, flavor="factur-x",
    level="en16931")``.
    """
    root = ET.Element(f"{{{_RSM}}}CrossIndustryInvoice")

    context = _el(root, _RSM, "ExchangedDocumentContext")
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", _FACTUR_X_GUIDELINE)

    header = _el(root, _RSM, "ExchangedDocument")
    _ram(header, "ID", doc.bill_number)
    _ram(header, "TypeCode", "380")  # commercial invoice
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
        _ram(_ram(agreement, "NetPriceProductTradePrice"), "ChargeAmount", _amount(line.unit_price_cents))
        delivery = _ram(item, "SpecifiedLineTradeDelivery")
        _ram(delivery, "BilledQuantity", str(line.quantity), unitCode=_UNIT_CODES.get(line.kind, "C62"))
        settlement = _ram(item, "SpecifiedLineTradeSettlement")
        tax = _ram(settlement, "ApplicableTradeTax")
        _ram(tax, "TypeCode", "VAT")
        _ram(tax, "CategoryCode", "S")
        _ram(tax, "RateApplicablePercent", str(doc.vat_percent))
        summation = _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
        _ram(summation, "LineTotalAmount", _amount(line.amount_cents))

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
    street, postcode, city = _split_address(doc.holder_address)
    if postcode:
        _ram(address, "PostcodeCode", postcode)
    _ram(address, "LineOne", street)
    if city:
        _ram(address, "CityName", city)
    _ram(address, "CountryID", "ES")
    _ram(_ram(agreement, "ContractReferencedDocument"), "IssuerAssignedID", doc.account_number)

    _ram(transaction, "ApplicableHeaderTradeDelivery")

    settlement = _ram(transaction, "ApplicableHeaderTradeSettlement")
    _ram(settlement, "PaymentReference", doc.payment.reference)
    _ram(settlement, "InvoiceCurrencyCode", "EUR")
    means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
    _ram(means, "TypeCode", "58")  # SEPA credit transfer to the issuer, quoting the payment reference
    _ram(means, "Information", f"Cuaderno 57: {doc.payment.issuer_suffix} reference {doc.payment.reference}")
    _ram(_ram(means, "PayeePartyCreditorFinancialAccount"), "IBANID", doc.issuer.iban.replace(" ", ""))
    if doc.issuer.bic:
        _ram(_ram(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", doc.issuer.bic)
    tax = _ram(settlement, "ApplicableTradeTax")
    _ram(tax, "CalculatedAmount", _amount(doc.vat_cents))
    _ram(tax, "TypeCode", "VAT")
    _ram(tax, "BasisAmount", _amount(doc.taxable_cents))
    _ram(tax, "CategoryCode", "S")
    _ram(tax, "RateApplicablePercent", str(doc.vat_percent))
    period = _ram(settlement, "BillingSpecifiedPeriod")
    _date_102(period, "StartDateTime", doc.period_start)
    _date_102(period, "EndDateTime", doc.period_end)
    terms = _ram(settlement, "SpecifiedTradePaymentTerms")
    if doc.payment_method_note:
        _ram(terms, "Description", doc.payment_method_note)
    _date_102(terms, "DueDateDateTime", doc.due_date)
    totals = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(totals, "LineTotalAmount", _amount(doc.taxable_cents))
    _ram(totals, "TaxBasisTotalAmount", _amount(doc.taxable_cents))
    _ram(totals, "TaxTotalAmount", _amount(doc.vat_cents), currencyID="EUR")
    _ram(totals, "GrandTotalAmount", _amount(doc.total_cents))
    _ram(totals, "DuePayableAmount", _amount(doc.total_cents))

    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


# --- Assets: what WeasyPrint may read -----------------------------------------------------------------


class AssetRefusedError(ValueError):
    """WeasyPrint asked for something other than a packaged PDF asset or a ``data:`` URI."""


class PackagedAssetFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves files under ``static/pdf/`` and ``data:`` URIs, nothing else.

    Paths are resolved (symbolic links and ``..`` included) before the check, so no URL escapes the
    folder; http(s), ftp and every other scheme are refused. WeasyPrint logs a refused URL and goes on
    without it.
    """

    def __init__(self, root: Path = STATIC_PDF_DIR) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self._root = root.resolve()

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.partition(":")[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._asset(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if content_type.startswith("text/"):
                content_type += "; charset=utf-8"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})
        raise AssetRefusedError(f"Bill PDFs may only use packaged assets, not {url[:100]!r}")

    def _asset(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise AssetRefusedError(f"Bill PDFs may only use packaged assets, not {url[:100]!r}")
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError):
            raise AssetRefusedError(f"No packaged asset at {url[:100]!r}") from None
        if not path.is_relative_to(self._root) or not path.is_file():
            raise AssetRefusedError(f"Bill PDFs may only use packaged assets, not {url[:100]!r}")
        return path


# --- The printed bill -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bar:
    x: float
    y: float
    width: float
    height: float
    center: float
    label: str
    m3: int
    current: bool


@dataclass(frozen=True, slots=True)
class _Chart:
    """The consumption chart's geometry, in millimetres (the SVG's user units)."""

    width: float
    height: float
    baseline: float
    bars: tuple[_Bar, ...]
    description: str
    label_size: float
    """The rows' font size (mm): the labels fit their slot, at most 2.4 mm high."""
    letter_spacing: float
    """Added to each character (mm) so that one slot is exactly ``cells`` characters wide."""
    values_row: str
    """Each bar's m³, centred in its slot: one line of monospaced text printed above the bars."""
    labels_row: str
    """Each bar's period label (``Oct 26``), the same way, printed under the bars."""


_BARCODE_MODULE_MM = 0.33  # within the banks' 0.25–1.2 mm; 46 digits make 118.7 mm with quiet zones
_MIN_GAP_PX = 4 * 96 / 25.4  # 4 mm between the content and the payment details
_CHART_WIDTH = 118.0
_CHART_HEIGHT = 26.0  # the bars; the values and labels are rows of text above and under them
_CHART_TOP = 1.0
_CHART_BOTTOM = 0.3
_MONO_ADVANCE = 1233 / 2048  # every DejaVu Sans Mono glyph advances this many em


def _centred_row(texts: Sequence[str], cells: int) -> str:
    return "".join(text.center(cells) for text in texts).rstrip()


def _chart(history: Sequence[ConsumptionPoint]) -> _Chart:
    """The bars are an SVG; their values and period labels are two lines of monospaced text, each label
    centred in as many character cells as make one bar's slot. (WeasyPrint lays SVG text out letter by
    letter: 24 labels in the SVG cost about a sixth of the whole bill's rendering time; two lines of
    text cost almost nothing.)"""
    slot = _CHART_WIDTH / max(len(history), 6)  # a few bills do not make giant bars
    tallest = max((point.m3 for point in history), default=0) or 1
    baseline = _CHART_HEIGHT - _CHART_BOTTOM
    longest = max((max(len(point.label), len(str(point.m3))) for point in history), default=1)
    label_size = round(min(2.4, slot / ((longest + 2) * _MONO_ADVANCE)), 2)
    cells = int(slot // (label_size * _MONO_ADVANCE))
    letter_spacing = round(slot / cells - label_size * _MONO_ADVANCE, 4)
    bars = []
    for index, point in enumerate(history):
        height = (baseline - _CHART_TOP) * max(point.m3, 0) / tallest
        width = slot * 0.62
        x = index * slot + (slot - width) / 2
        bars.append(
            _Bar(
                x=round(x, 2),
                y=round(baseline - height, 2),
                width=round(width, 2),
                height=round(height, 2),
                center=round(index * slot + slot / 2, 2),
                label=point.label,
                m3=point.m3,
                current=index == len(history) - 1,
            )
        )
    description = "; ".join(f"{point.label}: {point.m3}" for point in history)
    return _Chart(
        width=_CHART_WIDTH,
        height=_CHART_HEIGHT,
        baseline=baseline,
        bars=tuple(bars),
        description=description,
        label_size=label_size,
        letter_spacing=letter_spacing,
        values_row=_centred_row([str(point.m3) for point in history], cells),
        labels_row=_centred_row([point.label for point in history], cells),
    )


def _identity(number: str) -> str:
    """The holder's document as printed under their name: ``DNI 48213657E``."""
    for kind, module in (("DNI", dni), ("NIE", nie), ("CIF", cif)):
        if module.is_valid(number):
            return f"{kind} {number}"
    return number


def _period(start: date, end: date) -> str:
    """``1 Sep – 31 Oct 2026``, with the year only once when both dates share it."""
    if start.year == end.year:
        return f"{start.day} {start:%b} – {format_day(end)}"
    return f"{format_day(start)} – {format_day(end)}"


def _quantity(line: BillLine) -> str:
    return f"{line.quantity} m³" if line.kind in _UNIT_CODES else str(line.quantity)


def _unit_price(line: BillLine) -> str:
    price = format_eur(line.unit_price_cents)
    return f"{price}/m³" if line.kind in _UNIT_CODES else price


@cache
def pdf_template(name: str = TEMPLATE_NAME) -> Template:
    """A printed document's template. One environment per process: compiling the template on every
    bill would cost more than drawing it."""
    return make_environment().get_template(name)


def payment_codes_context(code: PaymentCode) -> dict[str, Any]:
    """What ``templates/pdf/_payment_codes.html`` prints: the code's fields and its 507 barcode."""
    digits = code.barcode_digits
    return {
        "code": code,
        "cpr": CPR_CUADERNO_57,
        # barcode_svg() builds the SVG from digits alone: nothing in it comes from user input.
        "barcode": Markup(barcode_svg(digits, module_mm=_BARCODE_MODULE_MM)),  # noqa: S704
        "barcode_width": round(2 * QUIET_ZONE_X_MM + sum(code128c_modules(digits)) * _BARCODE_MODULE_MM, 3),
        "barcode_digits": digits,
    }


def _context(doc: BillDocument) -> dict[str, Any]:
    street, postcode, city = _split_address(doc.holder_address)
    days = (doc.period_end - doc.period_start).days + 1
    return {
        "doc": doc,
        "created": doc.issue_date.isoformat(),
        "identity": _identity(doc.holder_identity),
        "address_lines": [street, f"{postcode} {city}"] if postcode else [street],
        "issue_date": format_day(doc.issue_date),
        "due_date": format_day(doc.due_date),
        "period": _period(doc.period_start, doc.period_end),
        "days": days,
        "daily_litres": round(doc.consumption_m3 * 1000 / days),
        "lines": [
            {
                "description": line.description,
                "quantity": _quantity(line),
                "unit_price": _unit_price(line),
                "amount": format_eur(line.amount_cents),
            }
            for line in doc.billable_lines
        ],
        "taxable": format_eur(doc.taxable_cents),
        "vat_description": _vat_line_description(doc),
        "vat": format_eur(doc.vat_cents),
        "total": format_eur(doc.total_cents),
        "chart": _chart(doc.history),
        **payment_codes_context(doc.payment),
    }


def render_bill_html(doc: BillDocument, *, overflowing: bool = False) -> str:
    """The HTML that :func:`render_bill_pdf` prints, styled by ``static/pdf/bill.css`` (for previews)."""
    return pdf_template().render(**_context(doc), overflowing=overflowing)


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


def _finish_pdf(document: Any, pdf: Any) -> None:
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


_per_thread = threading.local()


def print_stylesheet() -> tuple[Any, Any]:
    """bill.css parsed, with its fonts loaded, once per thread: ``(CSS, FontConfiguration)``.

    Loading the three fonts and parsing the stylesheet is about a third of a bill's rendering time, so
    it is done once. Per thread, because Pango's font map is not thread-safe.
    """
    cached: tuple[Any, Any] | None = getattr(_per_thread, "stylesheet", None)
    if cached is None:
        font_config = FontConfiguration()
        css = CSS(url=STYLESHEET.as_uri(), url_fetcher=PackagedAssetFetcher(), font_config=font_config)
        cached = _per_thread.stylesheet = (css, font_config)
    return cached


def _overlaps_payment(document: Any) -> bool:
    """Whether the content reaches the payment details pinned to the bottom of the first page.

    Uses the anchors WeasyPrint reports for elements with an ``id`` (page coordinates, CSS px, y down).
    """
    anchors = document.pages[0].anchors
    end, payment = anchors.get("end-of-content"), anchors.get("payment")
    return len(document.pages) > 1 or end is None or payment is None or end[1] + _MIN_GAP_PX > payment[1]


_gc_lock = threading.Lock()
_gc_pausers = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector while a PDF is laid out and written.

    WeasyPrint allocates so many objects that the collector, which runs every few hundred allocations and
    rescans what survived, took a third of a bill's render (measured: 326 ms with it, 212 ms without).
    The garbage is collected as usual once the render is over; the process peaks about 70 MB higher
    meanwhile. The collector is process-wide and renders run in threads, so the last render to finish
    resumes it.
    """
    global _gc_pausers
    with _gc_lock:
        _gc_pausers += 1
        gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if not _gc_pausers:
                gc.enable()


def render_tagged_pdf(html: str) -> bytes:
    """A tagged A4 PDF/A-3b (XMP metadata, sRGB output intent) of HTML made from a `pdf_template`, like
    the bill, with the print stylesheet and only the packaged fonts (the bills-due document, the payment
    receipt). Synchronous and CPU-bound: run it in a thread."""
    css, font_config = print_stylesheet()
    with gc_paused():
        pdf: bytes = HTML(
            string=html, base_url=STATIC_PDF_DIR.as_uri() + "/", url_fetcher=PackagedAssetFetcher()
        ).write_pdf(stylesheets=[css], font_config=font_config, pdf_tags=True, pdf_variant="pdf/a-3b")
    return pdf


def render_bill_pdf(doc: BillDocument) -> bytes:
    """The bill as a one-page A4 PDF/A-3b with its Factur-X XML attached (``factur-x.xml``).

    Synchronous and CPU-bound: run it in a thread or a process. The same document gives the same
    bytes (dates in the file come from the bill, not the clock). The PDF is tagged, so that screen
    readers read it in order and the chart and the barcode have their text alternatives.

    The payment details are pinned to the bottom of the page. A bill with more than fits (many lines,
    a very long name or address) is laid out a second time with the payment details following the
    content, on a second page if need be, rather than drawn over it.
    """
    fetcher = PackagedAssetFetcher()
    css, font_config = print_stylesheet()
    options: dict[str, Any] = {
        "stylesheets": [css],
        "pdf_variant": "pdf/a-3b",
        "pdf_tags": True,
    }
    base_url = STATIC_PDF_DIR.as_uri() + "/"
    context = _context(doc)

    def layout(overflowing: bool) -> Any:
        html = pdf_template().render(**context, overflowing=overflowing)
        return HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(font_config, **options)

    with gc_paused():
        document = layout(overflowing=False)
        if _overlaps_payment(document):
            document = layout(overflowing=True)
        stamp = datetime.combine(doc.issue_date, datetime.min.time())
        invoice = Attachment(
            string=factur_x_xml(doc),
            name=FACTUR_X_FILENAME,
            description=f"Factur-X invoice {doc.bill_number} (EN 16931)",
            relationship=_FACTUR_X_RELATIONSHIP,
            created=stamp,
            modified=stamp,
            url_fetcher=fetcher,
        )
        pdf: bytes = document.write_pdf(attachments=[invoice], finisher=_finish_pdf, **options)
    return pdf
