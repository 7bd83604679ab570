"""The printed bill, a stored PDF made by a job: one A4 page drawn from ``templates/pdf/bill.html`` and
written as a PDF/A-3b with its Factur-X invoice attached (`portal.bills.facturx`). The Cuaderno 57 payment
data and its barcode are printed at the bottom (``specs/payment-codes.md``). An issued bill never changes,
so its PDF is rendered once (by a job), stored, and served from storage from then on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from markupsafe import Markup
from saq import Queue
from stdnum.es import cif, dni, nie
from weasyprint import HTML, Attachment

from portal import i18n
from portal.banking.barcode import QUIET_ZONE_X_MM, barcode_svg, code128c_modules
from portal.banking.cuaderno57 import CPR_CUADERNO_57, PaymentCode
from portal.banking.money import format_eur
from portal.bills import documents
from portal.bills.documents import (
    METERED_KINDS,
    BillDocument,
    BillLine,
    ConsumptionPoint,
    split_address,
    vat_line_description,
)
from portal.bills.facturx import (
    FACTUR_X_FILENAME,
    FACTUR_X_RELATIONSHIP,
    factur_x_xml,
    finish_pdf,
    unit_amount,
)
from portal.bills.services import BillDetail, get_bill_for_job
from portal.db import fetch
from portal.i18n import gettext as _
from portal.infra import pdf as pdf_engine
from portal.infra.pdf import STATIC_PDF_DIR, PackagedAssetFetcher, gc_paused, pdf_template, print_stylesheet
from portal.infra.queue import file_or_job, render_task
from portal.infra.storage import Storage
from portal.settings import IssuerSettings
from portal.templating import format_day, format_number

TASK = render_task("render_bill_pdf")
TEMPLATE_NAME = "pdf/bill.html"


def key(bill_number: str, language: str) -> str:
    """A bill is printed once per language it is asked in (issuing prints the default one)."""
    return f"bills/{language}/{bill_number}.pdf"


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
        return f"{format_date(start, 'd MMM', locale=i18n.babel_locale())} – {format_day(end)}"
    return f"{format_day(start)} – {format_day(end)}"


def _quantity(line: BillLine) -> str:
    quantity = format_number(line.quantity)  # decimals as the bill's amounts print them
    return f"{quantity} m³" if line.kind in METERED_KINDS else quantity


def _unit_price(line: BillLine) -> str:
    cents = line.unit_price_cents
    if cents == cents.to_integral_value():
        price = format_eur(int(cents))
    else:  # a price with more than 2 decimals is printed with them all
        price = format_currency(
            Decimal(unit_amount(cents)), "EUR", locale=i18n.babel_locale(), decimal_quantization=False
        )
    return f"{price}/m³" if line.kind in METERED_KINDS else price


def barcode(digits: str, module_mm: float = 0.33) -> Markup:
    """The 507 barcode of a bill or document, named in the current language for screen readers."""
    label = _("Barcode %(digits)s") % {"digits": digits}
    # barcode_svg() draws the SVG from the digits alone and escapes the label.
    return Markup(barcode_svg(digits, module_mm=module_mm, label=label))  # noqa: S704


def payment_codes_context(code: PaymentCode) -> dict[str, Any]:
    """What ``templates/pdf/_payment_codes.html`` prints: the code's fields and its 507 barcode."""
    digits = code.barcode_digits
    return {
        "code": code,
        "cpr": CPR_CUADERNO_57,
        "barcode": barcode(digits, module_mm=_BARCODE_MODULE_MM),
        "barcode_width": round(2 * QUIET_ZONE_X_MM + sum(code128c_modules(digits)) * _BARCODE_MODULE_MM, 3),
        "barcode_digits": digits,
    }


def _context(doc: BillDocument) -> dict[str, Any]:
    street, postcode, city = split_address(doc.holder_address)
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
        "vat_description": vat_line_description(doc),
        "vat": format_eur(doc.vat_cents),
        "total": format_eur(doc.total_cents),
        "chart": _chart(doc.history),
        # A credit bill prints what is in the customer's favour (a positive amount), and no code.
        "in_favour": format_eur(-doc.total_cents) if doc.total_cents < 0 else None,
        **(payment_codes_context(doc.payment) if doc.payment is not None else {}),
    }


def render_bill_html(doc: BillDocument, *, overflowing: bool = False) -> str:
    """The HTML that :func:`draw` prints, styled by ``static/pdf/bill.css`` (for previews)."""
    return pdf_template(TEMPLATE_NAME).render(**_context(doc), overflowing=overflowing)


def _overlaps_payment(document: Any) -> bool:
    """Whether the content reaches the payment details pinned to the bottom of the first page.

    Uses the anchors WeasyPrint reports for elements with an ``id`` (page coordinates, CSS px, y down).
    """
    anchors = document.pages[0].anchors
    end, payment = anchors.get("end-of-content"), anchors.get("payment")
    return len(document.pages) > 1 or end is None or payment is None or end[1] + _MIN_GAP_PX > payment[1]


def draw(doc: BillDocument) -> bytes:
    """The bill as a one-page A4 PDF/A-3b with its Factur-X XML attached (``factur-x.xml``).

    Synchronous and CPU-bound: run it through `portal.infra.pdf.render`. The same document gives the same
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
        html = pdf_template(TEMPLATE_NAME).render(**context, overflowing=overflowing)
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
            relationship=FACTUR_X_RELATIONSHIP,
            created=stamp,
            modified=stamp,
            url_fetcher=fetcher,
        )
        pdf: bytes = document.write_pdf(attachments=[invoice], finisher=finish_pdf, **options)
    return pdf


# --- The stored file --------------------------------------------------------------------------------


async def bill_document(bill: BillDetail, issuer: IssuerSettings) -> BillDocument:
    """Everything the PDF prints: the bill, and the consumption of its account's last periods."""
    # One bar a period: a corrective bill shares its period with the bill it corrects. The period's
    # consumption is its latest bill that charges (one that replaces a cancelled bill states the period
    # anew), not a credit bill, which gives money back (the period's only bill: its own figure).
    history = await fetch(
        "SELECT DISTINCT ON (period_start) period_start, consumption_m3 FROM bill"
        " WHERE account = {} AND period_start <= {}"
        " ORDER BY period_start DESC, status = 'credit', issue_date DESC, id DESC LIMIT {}",
        bill.account_id,
        bill.row.period_start,
        documents.MAX_HISTORY,
    )
    code = bill.payment_code(issuer.code)
    return BillDocument(
        issuer=issuer,
        holder_name=bill.holder_name,
        holder_identity=bill.holder_identity,
        holder_address=bill.supply_address,
        account_number=bill.row.account_number,
        tariff=bill.tariff,
        bill_number=bill.row.number,
        period_start=bill.row.period_start,
        period_end=bill.row.period_end,
        issue_date=bill.row.issue_date,
        due_date=bill.row.due_date,
        reading_previous=bill.reading_previous,
        reading_current=bill.reading_current,
        consumption_m3=bill.consumption_m3,
        lines=documents.lines_from_json(bill.lines),
        taxable_cents=bill.taxable_cents,
        vat_cents=bill.vat_cents,
        total_cents=bill.row.total_cents,
        payment=code,
        history=tuple(
            ConsumptionPoint(
                format_date(row["period_start"], "MMM yy", locale=i18n.babel_locale()), row["consumption_m3"]
            )
            for row in reversed(history)
        ),
        payment_method_note=(
            _("Paid by direct debit from %(iban)s") % {"iban": bill.iban_masked}
            if bill.payment_method == "direct_debit" and code is not None  # a credit bill is not debited
            else None
        ),
    )


async def render(bill_id: int, issuer: IssuerSettings, storage: Storage, language: str) -> str:
    """Render and store the PDF in `language` unless it is stored already (a retried or duplicated job
    does nothing)."""
    bill = await get_bill_for_job(bill_id)
    if bill is None:
        return "unknown bill"
    with i18n.speaking(language):
        return await pdf_engine.store(
            storage, key(bill.row.number, language), draw, await bill_document(bill, issuer)
        )


async def ensure(bill_id: int, bill_number: str, storage: Storage, queue: Queue, language: str) -> bool:
    """Whether the PDF in `language` is ready; if not, make sure a job is preparing it (one per bill and
    language: the job key)."""
    return await file_or_job(
        storage,
        key(bill_number, language),
        TASK,
        queue,
        key=f"bill-pdf:{bill_id}:{language}",
        bill_id=bill_id,
        language=language,
    )
