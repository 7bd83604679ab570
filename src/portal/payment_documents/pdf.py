"""A bills-due document's PDF, a stored PDF made by a job. A confirmed document never changes (only its
state does, which the PDF does not print), so it is rendered once, stored, and served from storage from
then on."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from saq import Queue

from portal import clock, i18n
from portal.banking.epc import epc_qr_svg
from portal.banking.money import format_eur
from portal.bills.pdf import payment_codes_context
from portal.i18n import gettext as _
from portal.infra import pdf
from portal.infra.queue import file_or_job, render_task
from portal.infra.storage import Storage
from portal.payment_documents.services import DocumentDetail, get_document_for_job
from portal.settings import IssuerSettings
from portal.templating import format_day

TASK = render_task("render_document_pdf")


def key(reference: str, language: str) -> str:
    """A document is printed once per language it is asked in."""
    return f"payment-documents/{language}/{reference}.pdf"


def epc_text(document: DocumentDetail) -> str:
    """The transfer's remittance text: what the utility needs to match the transfer to the document."""
    return f"Bills due {document.code.reference} account {document.account_number}"


def epc_qr(document: DocumentDetail, issuer: IssuerSettings, module_mm: float = 0.5) -> Markup:
    """The QR code that pays the document by transfer, named in the current language for screen readers."""
    svg = epc_qr_svg(
        issuer.name,
        issuer.iban,
        issuer.bic,
        document.total_cents,
        text=epc_text(document),
        module_mm=module_mm,
        title=_("QR code to pay by bank transfer"),
    )
    # Drawn by segno from the issuer's settings, the amount and our text; it escapes the title.
    return Markup(svg)  # noqa: S704


def _context(document: DocumentDetail, issuer: IssuerSettings) -> dict[str, Any]:
    total = format_eur(document.total_cents)
    created = clock.day_of(document.created_at)  # the customer's day, which its deadline counts from
    return {
        "document": document,
        "issuer": issuer,
        "iban": issuer.iban,
        "created": created.isoformat(),
        "created_on": format_day(created),
        "deadline": format_day(document.deadline),
        "total": total,
        "lines": [
            {
                "number": line.number,
                "period": f"{format_day(line.period_start)} – {format_day(line.period_end)}",
                "due_date": format_day(line.due_date),
                "amount": format_eur(line.amount_cents),
            }
            for line in document.lines
        ],
        "epc_qr": epc_qr(document, issuer, module_mm=0.6),
        **payment_codes_context(document.code),
    }


def render_html(document: DocumentDetail, issuer: IssuerSettings) -> str:
    """The HTML that :func:`draw` prints."""
    return pdf.pdf_template("pdf/bills_due.html").render(**_context(document, issuer))


def draw(document: DocumentDetail, issuer: IssuerSettings) -> bytes:
    """The document as a tagged A4 PDF. Synchronous and CPU-bound: run it through `pdf.render`."""
    return pdf.render_tagged_pdf(render_html(document, issuer))


async def render(document_id: int, issuer: IssuerSettings, storage: Storage, language: str) -> str:
    """Render and store the PDF in `language` unless it is stored already (a retried or duplicated job
    does nothing)."""
    document = await get_document_for_job(document_id, issuer)
    if document is None:
        return "unknown document"
    with i18n.speaking(language):
        return await pdf.store(storage, key(document.code.reference, language), draw, document, issuer)


async def ensure(document: DocumentDetail, storage: Storage, queue: Queue, language: str) -> bool:
    """Whether the PDF in `language` is ready; if not, make sure one job is preparing it."""
    return await file_or_job(
        storage,
        key(document.code.reference, language),
        TASK,
        queue,
        key=f"document-pdf:{document.id}:{language}",
        document_id=document.id,
        language=language,
    )
