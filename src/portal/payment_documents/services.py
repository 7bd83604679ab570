"""Bills-due documents: pending bills of one account gathered under one new Cuaderno 57 code, made by
their holder (the journey below); paying one by its code is in `payable`, which says how its state is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from portal import clock
from portal.banking.cuaderno57 import MAX_AMOUNT_CENTS, PaymentCode, deadline_identification
from portal.banking.money import format_eur
from portal.bills import queries as bill_queries
from portal.bills.services import VisibleAccount, effective_status
from portal.db import engine, execute, fetch
from portal.db.tables import Account, PaymentDocument, PaymentDocumentBill
from portal.db.tables.payment_documents import DocumentStatus
from portal.i18n import gettext as _
from portal.payment_documents import queries
from portal.payment_documents.payable import read_row, row_state
from portal.settings import IssuerSettings
from portal.templating import format_day
from portal.viewer import Viewer


@dataclass(frozen=True)
class AccountChoice(VisibleAccount):
    """An account the viewer may see, with what could go into a document."""

    direct_debit: bool
    pending_count: int
    pending_cents: int
    in_document_count: int
    """Of its pending bills, those already in a live document: they cannot go into another."""


async def accounts_to_choose(viewer: Viewer, today: dt.date | None = None) -> list[AccountChoice]:
    rows = await fetch(
        bill_queries.VISIBLE_ACCOUNT + ", a.payment_method = 'direct_debit' AS direct_debit,"
        " COUNT(b.id) AS pending_count, COALESCE(SUM(b.total_cents), 0)::bigint AS pending_cents,"
        " ARRAY_REMOVE(ARRAY_AGG(b.id), NULL) AS pending_ids"
        + bill_queries.VIEWER_ACCOUNTS
        + " LEFT JOIN bill b ON b.account = a.id AND b.status = 'pending'"
        ' WHERE x."user" = {} GROUP BY a.id, c.name, x.role ORDER BY c.name, a.number',
        viewer.user_id,
    )
    live = await _live_documents([bill_id for row in rows for bill_id in row["pending_ids"]], today)
    return [
        AccountChoice(
            **{key: value for key, value in row.items() if key != "pending_ids"},
            in_document_count=sum(bill_id in live for bill_id in row["pending_ids"]),
        )
        for row in rows
    ]


async def _live_documents(bill_ids: list[int], today: dt.date | None = None) -> dict[int, dict[str, Any]]:
    """Those of these bills in a document that still could be paid (so in no other), with its row."""
    today = today or clock.today()
    holding = await fetch(
        # (a document holding several of them comes once per bill: harmless for the mapping below)
        queries.DOCUMENTS + " JOIN payment_document_bill h ON h.document = d.id"
        " WHERE d.status = 'pending' AND h.bill = ANY({})",
        bill_ids,
    )
    return {
        bill_id: document
        for document in holding
        if row_state(document, today) == "pending"
        for bill_id in document["bill_ids"]
    }


@dataclass(frozen=True)
class CandidateBill:
    id: int
    number: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date
    total_cents: int
    status: str
    in_document: str | None
    """The reference of a live document the bill is already in (it cannot go into another)."""
    in_document_deadline: dt.date | None

    @property
    def selectable(self) -> bool:
        return self.in_document is None


@dataclass(frozen=True)
class AccountBills:
    account: AccountChoice
    bills: list[CandidateBill]
    direct_debit_count: int
    """Bills of the account paid by direct debit: left out, and the page says why."""

    @property
    def first_selectable(self) -> CandidateBill | None:
        """The first bill that can go in a document (errors point at its box); None: nothing can."""
        return next((bill for bill in self.bills if bill.selectable), None)


async def account_bills(
    viewer: Viewer, account_number: str, today: dt.date | None = None
) -> AccountBills | None:
    """The pending bills of one of the viewer's accounts, oldest due first; None if it is not theirs."""
    today = today or clock.today()
    account = next((a for a in await accounts_to_choose(viewer, today) if a.number == account_number), None)
    if account is None:
        return None
    rows = await fetch(
        "SELECT b.id, b.number, b.period_start, b.period_end, b.due_date, b.total_cents, b.status"
        " FROM bill b JOIN account a ON a.id = b.account"
        " WHERE a.number = {} AND b.status = 'pending' ORDER BY b.due_date, b.id",
        account_number,
    )
    live = await _live_documents([row["id"] for row in rows], today)
    debits = await fetch(
        "SELECT COUNT(*) AS n FROM bill b JOIN account a ON a.id = b.account"
        " WHERE a.number = {} AND b.status = 'direct_debit'",
        account_number,
    )
    bills = [
        CandidateBill(
            **{**row, "status": effective_status(row["status"], row["due_date"], today)},
            in_document=live[row["id"]]["payment_reference"] if row["id"] in live else None,
            in_document_deadline=live[row["id"]]["deadline"] if row["id"] in live else None,
        )
        for row in rows
    ]
    return AccountBills(account, bills, debits[0]["n"])


def deadline_from(today: dt.date, issuer: IssuerSettings) -> dt.date:
    """The deadline of a document made today. Not the bills' due dates: those of overdue bills are past."""
    return today + dt.timedelta(days=issuer.document_days)


class DocumentError(ValueError):
    """The selection cannot become a document; ``message`` says why, for the page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def _check_selection(
    viewer: Viewer, account_number: str, bill_ids: list[int], today: dt.date
) -> list[CandidateBill]:
    """The selected bills, re-read and checked now (the page the user chose from may be stale)."""
    found = await account_bills(viewer, account_number, today)
    if found is None:
        raise DocumentError(_("Select one of your accounts"))
    return _chosen(found, bill_ids, today)


def _chosen(found: AccountBills, bill_ids: list[int], today: dt.date) -> list[CandidateBill]:
    """The selected bills of the account, if they can go into one document now; DocumentError says why
    not."""
    if not bill_ids:
        raise DocumentError(_("Select at least one bill to pay"))
    by_id = {bill.id: bill for bill in found.bills}
    for bill_id in bill_ids:
        bill = by_id.get(bill_id)
        if bill is None:
            raise DocumentError(
                _("One of the bills you selected is no longer pending: select the bills again")
            )
        if bill.in_document:  # (a live document always has its deadline: `or today` only for the type)
            raise DocumentError(
                _(
                    "Bill %(number)s is already in bills due document %(document)s, "
                    "which can be paid until %(deadline)s"
                )
                % {
                    "number": bill.number,
                    "document": bill.in_document,
                    "deadline": format_day(bill.in_document_deadline or today),
                }
            )
    chosen = [bill for bill in found.bills if bill.id in set(bill_ids)]
    if sum(bill.total_cents for bill in chosen) > MAX_AMOUNT_CENTS:  # 10 digits of cents in a code
        raise DocumentError(
            _("These bills add up to more than %(most)s: select fewer bills for one document")
            % {"most": format_eur(MAX_AMOUNT_CENTS)}
        )
    return chosen


async def create_draft(
    viewer: Viewer, account_number: str, bill_ids: list[int], today: dt.date | None = None
) -> int:
    """Keep a selection for its confirmation page; it gets its code only when confirmed."""
    today = today or clock.today()
    chosen = await _check_selection(viewer, account_number, bill_ids, today)
    account = await Account.select(Account.id).where(Account.number == account_number).first()
    assert account is not None
    async with engine().transaction():
        draft = await PaymentDocument.insert(
            PaymentDocument(
                account=account["id"],
                created_by=viewer.user_id,
                deadline=today,
                total_cents=sum(bill.total_cents for bill in chosen),
                status=DocumentStatus.draft,
                payment_suffix="",
                payment_identification="",
                created_at=clock.now(),
            )
        ).returning(PaymentDocument.id)
        document_id: int = draft[0]["id"]
        await PaymentDocumentBill.insert(
            *(
                PaymentDocumentBill(document=document_id, bill=bill.id, amount_cents=bill.total_cents)
                for bill in chosen
            )
        )
    return document_id


async def _draft_bill_ids(document_id: int) -> list[int]:
    """The bills a draft holds, in one order, so that its page and its confirmation name the same one
    when something is wrong with several."""
    rows = await PaymentDocumentBill.select(PaymentDocumentBill.bill).where(
        PaymentDocumentBill.document == document_id
    )
    return sorted(row["bill"] for row in rows)


async def confirm(
    viewer: Viewer, document_id: int, issuer: IssuerSettings, today: dt.date | None = None
) -> int:
    """Turn the viewer's draft into a document with its own code; confirming twice is harmless."""
    today = today or clock.today()
    async with engine().transaction():
        rows = await fetch(
            "SELECT d.id, d.status, a.number AS account_number FROM payment_document d"
            " JOIN account a ON a.id = d.account"
            ' JOIN account_access x ON x.account = a.id AND x."user" = {}'
            " WHERE d.id = {} AND d.created_by = {} FOR UPDATE OF d",
            viewer.user_id,
            document_id,
            viewer.user_id,
        )
        if not rows:
            raise DocumentError(_("This selection has expired: select the bills again"))
        if rows[0]["status"] != DocumentStatus.draft:
            return document_id  # a double submit, or the back button: it is made already
        bill_ids = await _draft_bill_ids(document_id)
        # Lock the bills so that two tabs confirming overlapping selections cannot both take a bill.
        await execute("SELECT id FROM bill WHERE id = ANY({}) ORDER BY id FOR UPDATE", bill_ids)
        chosen = await _check_selection(viewer, rows[0]["account_number"], bill_ids, today)
        total = sum(bill.total_cents for bill in chosen)
        deadline = deadline_from(today, issuer)
        identification = deadline_identification(deadline)
        code = PaymentCode.build(
            issuer.code, issuer.document_suffix, f"{document_id:011d}", identification, total
        )
        await PaymentDocument.update(
            {
                PaymentDocument.status: DocumentStatus.pending,
                PaymentDocument.deadline: deadline,
                PaymentDocument.total_cents: total,
                PaymentDocument.payment_suffix: code.suffix,
                PaymentDocument.payment_reference: code.reference,
                PaymentDocument.payment_identification: code.identification,
                PaymentDocument.created_at: clock.now(),
            }
        ).where(PaymentDocument.id == document_id)
    return document_id


async def create_document(
    viewer: Viewer,
    account_number: str,
    bill_ids: list[int],
    issuer: IssuerSettings,
    today: dt.date | None = None,
) -> int:
    """Draft and confirm in one go: the user confirmed in the dialog (with JavaScript)."""
    return await confirm(viewer, await create_draft(viewer, account_number, bill_ids, today), issuer, today)


@dataclass(frozen=True)
class DraftSummary:
    id: int
    account_number: str
    bills: list[CandidateBill]
    total_cents: int
    problem: str | None
    """Why it can no longer become a document (say a bill went into another one, from another tab),
    as confirming it would answer; None: it can."""


async def get_draft(viewer: Viewer, document_id: int, today: dt.date | None = None) -> DraftSummary | None:
    today = today or clock.today()
    rows = await fetch(
        "SELECT d.id, a.number AS account_number FROM payment_document d JOIN account a ON a.id = d.account"
        ' JOIN account_access x ON x.account = a.id AND x."user" = {}'
        " WHERE d.id = {} AND d.created_by = {} AND d.status = 'draft'",
        viewer.user_id,
        document_id,
        viewer.user_id,
    )
    if not rows:
        return None
    found = await account_bills(viewer, rows[0]["account_number"], today)
    assert found is not None
    chosen = await _draft_bill_ids(document_id)
    try:
        _chosen(found, chosen, today)
        problem = None
    except DocumentError as error:
        problem = error.message
    bills = [bill for bill in found.bills if bill.id in chosen]
    return DraftSummary(
        document_id, rows[0]["account_number"], bills, sum(b.total_cents for b in bills), problem
    )


@dataclass(frozen=True)
class DocumentLine:
    bill_id: int
    number: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date
    amount_cents: int


@dataclass(frozen=True)
class DocumentDetail:
    id: int
    account_number: str
    holder: str
    supply_address: str
    created_at: dt.datetime
    deadline: dt.date
    total_cents: int
    state: str
    code: PaymentCode
    lines: list[DocumentLine]


async def _detail(row: dict[str, Any], issuer: IssuerSettings, today: dt.date) -> DocumentDetail:
    lines = await fetch(
        "SELECT l.bill AS bill_id, b.number, b.period_start, b.period_end, b.due_date, l.amount_cents"
        " FROM payment_document_bill l JOIN bill b ON b.id = l.bill WHERE l.document = {}"
        " ORDER BY b.due_date, b.id",
        row["id"],
    )
    return DocumentDetail(
        **read_row(row, today),
        account_number=row["account_number"],
        holder=row["holder"],
        supply_address=row["supply_address"],
        created_at=row["created_at"],
        code=PaymentCode(
            issuer.code,
            row["payment_suffix"],
            row["payment_reference"],
            row["payment_identification"],
            row["total_cents"],
        ),
        lines=[DocumentLine(**line) for line in lines],
    )


async def get_document(
    viewer: Viewer, document_id: int, issuer: IssuerSettings, today: dt.date | None = None
) -> DocumentDetail | None:
    """A confirmed document of an account the viewer may see; None otherwise (the caller answers 404)."""
    rows = await fetch(
        queries.DOCUMENTS + ' JOIN account_access x ON x.account = a.id AND x."user" = {}'
        " WHERE d.id = {} AND d.status <> 'draft'",
        viewer.user_id,
        document_id,
    )
    return await _detail(rows[0], issuer, today or clock.today()) if rows else None


async def get_document_for_job(document_id: int, issuer: IssuerSettings) -> DocumentDetail | None:
    """A confirmed document whoever may see it: for the job rendering a PDF a scoped request asked for."""
    rows = await fetch(queries.DOCUMENTS + " WHERE d.id = {} AND d.status <> 'draft'", document_id)
    return await _detail(rows[0], issuer, clock.today()) if rows else None


@dataclass(frozen=True)
class DocumentRow:
    id: int
    account_number: str
    reference: str
    created_at: dt.datetime
    deadline: dt.date
    total_cents: int
    bill_count: int
    state: str


async def my_documents(viewer: Viewer, today: dt.date | None = None, limit: int = 100) -> list[DocumentRow]:
    """The documents of the viewer's accounts, newest first."""
    today = today or clock.today()
    rows = await fetch(
        queries.DOCUMENTS + ' JOIN account_access x ON x.account = a.id AND x."user" = {}'
        " WHERE d.status <> 'draft' ORDER BY d.created_at DESC, d.id DESC LIMIT {}",
        viewer.user_id,
        limit,
    )
    return [
        DocumentRow(
            **read_row(row, today),
            account_number=row["account_number"],
            reference=row["payment_reference"],
            created_at=row["created_at"],
            bill_count=len(row["bill_ids"]),
        )
        for row in rows
    ]


DRAFT_LIFETIME = dt.timedelta(hours=24)


async def purge_drafts(now: dt.datetime | None = None) -> None:
    """Selections never confirmed (the confirmation page left open, abandoned) go after a day."""
    cutoff = (now or clock.now()) - DRAFT_LIFETIME
    await PaymentDocument.delete().where(
        (PaymentDocument.status == DocumentStatus.draft) & (PaymentDocument.created_at < cutoff)
    )
