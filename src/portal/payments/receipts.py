"""The payment receipt as a PDF: one short A4 page drawn from ``templates/pdf/receipt.html`` with the
bill's stylesheet and fonts, through the PDF engine of ``portal.infra.pdf`` (stylesheet loaded once per
thread, packaged assets only). Synchronous and CPU-bound: call it from a thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.infra import pdf
from portal.settings import IssuerSettings

if TYPE_CHECKING:
    from portal.payments.services import PaymentView

TEMPLATE_NAME = "pdf/receipt.html"


def render_receipt_html(payment: PaymentView, issuer: IssuerSettings) -> str:
    return pdf.pdf_template(TEMPLATE_NAME).render(payment=payment, issuer=issuer)


def render_receipt_pdf(payment: PaymentView, issuer: IssuerSettings) -> bytes:
    return pdf.render_tagged_pdf(render_receipt_html(payment, issuer))
