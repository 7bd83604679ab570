"""A bill's files. An issued bill never changes, so its PDF is rendered once (by a job), stored, and
served from storage from then on; its Factur-X XML is cheap and made on request."""

from __future__ import annotations

from saq import Queue

from portal.banking.cuaderno57 import PaymentCode
from portal.bills import documents, pdf
from portal.bills.documents import BillDocument, ConsumptionPoint
from portal.bills.services import BillDetail, get_bill_for_job
from portal.db.tables import Bill
from portal.infra import pdf as pdf_engine
from portal.infra.queue import Task, file_or_job
from portal.infra.storage import Storage
from portal.settings import IssuerSettings

RENDER_BILL_PDF = Task(
    name="render_bill_pdf", timeout=120, retries=3, retry_delay=2.0, retry_backoff=True, heartbeat=60
)


def pdf_key(bill_number: str) -> str:
    return f"bills/{bill_number}.pdf"


async def bill_document(bill: BillDetail, issuer: IssuerSettings) -> BillDocument:
    """Everything the PDF prints: the bill, and the consumption of its account's last periods."""
    history = await Bill.raw(
        "SELECT period_start, consumption_m3 FROM bill WHERE account = {} AND period_start <= {}"
        " ORDER BY period_start DESC LIMIT {}",
        bill.account_id,
        bill.row.period_start,
        documents.MAX_HISTORY,
    )
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
        payment=PaymentCode(
            issuer=issuer.code,
            suffix=bill.payment_suffix,
            reference=bill.payment_reference,
            identification=bill.payment_identification,
            amount_cents=bill.row.total_cents,
        ),
        history=tuple(
            ConsumptionPoint(f"{row['period_start']:%b %y}", row["consumption_m3"])
            for row in reversed(history)
        ),
        payment_method_note=(
            f"Paid by direct debit from {bill.iban_masked}" if bill.payment_method == "direct_debit" else None
        ),
    )


async def render_pdf(bill_id: int, issuer: IssuerSettings, storage: Storage) -> str:
    """Render and store the PDF unless it is stored already (a retried or duplicated job does nothing)."""
    bill = await get_bill_for_job(bill_id)
    if bill is None:
        return "unknown bill"
    key = pdf_key(bill.row.number)
    if storage.exists(key):
        return "already stored"
    document = await bill_document(bill, issuer)
    storage.write(key, await pdf_engine.render(pdf.render_bill_pdf, document))
    return "rendered"


async def request_pdf(bill_id: int, bill_number: str, storage: Storage, queue: Queue) -> bool:
    """Whether the PDF is ready; if not, make sure a job is preparing it (one per bill: the job key)."""
    return await file_or_job(
        storage, pdf_key(bill_number), RENDER_BILL_PDF, queue, key=f"bill-pdf:{bill_id}", bill_id=bill_id
    )
