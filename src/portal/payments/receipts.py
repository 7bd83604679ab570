"""The payment receipt as a PDF: one short A4 page drawn from ``templates/pdf/receipt.html`` with the
bill's stylesheet and fonts, through the helpers of ``portal.bills.documents`` (stylesheet loaded once per
thread, packaged assets only). Synchronous and CPU-bound: call it from a thread."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from portal.bills import documents
from portal.settings import IssuerSettings

if TYPE_CHECKING:
    from portal.payments.services import PaymentView

TEMPLATE_NAME = "pdf/receipt.html"


def render_receipt_html(payment: PaymentView, issuer: IssuerSettings, timezone: str) -> str:
    return documents.pdf_template(TEMPLATE_NAME).render(
        payment=payment, issuer=issuer, timezone=ZoneInfo(timezone)
    )


def render_receipt_pdf(payment: PaymentView, issuer: IssuerSettings, timezone: str) -> bytes:
    return documents.render_tagged_pdf(render_receipt_html(payment, issuer, timezone))
