"""The payment receipt as a stored PDF made by a job: one short A4 page drawn from
``templates/pdf/receipt.html`` by the PDF engine (`portal.infra.pdf`), rendered once a payment is
authorised, stored, and served from storage from then on."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from saq import Queue

from portal import i18n
from portal.db.tables.payments import PaymentState
from portal.infra import pdf
from portal.infra.queue import file_or_job, render_task
from portal.infra.storage import Storage
from portal.payments.views import PaymentView, payment_for_job
from portal.settings import IssuerSettings

TASK = render_task("render_receipt_pdf")


def key(order_id: str, language: str) -> str:
    """A receipt is printed in the payer's language when it is paid, and in any other it is asked in."""
    return f"receipts/{language}/{order_id}.pdf"


def job_key(order_id: str, language: str) -> str:
    return f"receipt-pdf:{order_id}:{language}"


def html(payment: PaymentView, issuer: IssuerSettings, timezone: str) -> str:
    """The receipt's HTML, its time of payment in the customers' `timezone` (the TIMEZONE setting)."""
    return pdf.pdf_template("pdf/receipt.html").render(
        payment=payment, issuer=issuer, timezone=ZoneInfo(timezone)
    )


def draw(payment: PaymentView, issuer: IssuerSettings, timezone: str) -> bytes:
    """The receipt as a tagged A4 PDF/A-3b. Synchronous and CPU-bound: run it through `pdf.render`."""
    return pdf.render_tagged_pdf(html(payment, issuer, timezone))


async def render(
    order_id: str, issuer: IssuerSettings, storage: Storage, timezone: str, language: str | None = None
) -> str:
    """Render and store the receipt in `language` (by default the payer's) unless it is stored already
    (retried or duplicated jobs do nothing)."""
    payment = await payment_for_job(order_id)
    if payment is None or payment.state != PaymentState.authorised:
        return "not paid"
    language = language or payment.language
    with i18n.speaking(language):
        return await pdf.store(storage, key(order_id, language), draw, payment, issuer, timezone)


async def ensure(payment: PaymentView, storage: Storage, queue: Queue, language: str) -> bool:
    """Whether the receipt PDF in `language` is ready; if not, make sure one job is preparing it."""
    return await file_or_job(
        storage,
        key(payment.order_id, language),
        TASK,
        queue,
        key=job_key(payment.order_id, language),
        order_id=payment.order_id,
        language=language,
    )
