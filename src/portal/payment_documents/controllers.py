"""Payment documents: choose an account, choose its pending bills, confirm ("Create document"), then the
bills-due document with its code and its PDF ("Bills due"). Documents of accounts the viewer may not see
answer 404, exactly like documents that do not exist."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from saq import Queue

from portal import clock, i18n
from portal.bills.pdf import barcode
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.infra.storage import Storage
from portal.payment_documents import pdf, services
from portal.payment_documents.services import AccountBills, DocumentError
from portal.settings import Settings
from portal.viewer import Viewer
from portal.web.files import FileAnswer, PreparingFile, serve_or_prepare
from portal.web.forms import Form, field, values
from portal.web.pages import page, see_other
from portal.web.params import parse_id

CHOOSE_ACCOUNT = gettext_noop("Select the account for which you want to pay bills")


def _bill_ids(data: dict[str, Any]) -> list[int]:
    """Checked bills as posted (one `bill` field per box); anything that is not an id is ignored."""
    return sorted({bill_id for bill_id in map(parse_id, values(data, "bill")) if bill_id})[:1000]


async def _account_bills(viewer: Viewer, account: str) -> AccountBills:
    found = await services.account_bills(viewer, account)
    if found is None:
        raise NotFoundException()
    return found


def _bills_page(
    viewer: Viewer,
    settings: Settings,
    found: AccountBills,
    checked: set[int],
    errors: dict[str, str] | None = None,
) -> Template:
    deadline = services.deadline_from(clock.today(), settings.issuer)
    return page(
        "pages/payment_documents/bills",
        errors,
        viewer=viewer,
        found=found,
        checked=checked,
        deadline=deadline,
    )


def _confirm_page(
    viewer: Viewer, settings: Settings, draft: services.DraftSummary, problem: str | None
) -> Template:
    """The confirmation page; with a `problem` (the draft can no longer become a document), the problem
    and a way back to the bills instead of "Create document"."""
    deadline = services.deadline_from(clock.today(), settings.issuer)
    errors = {"bills": problem} if problem else None
    return page("pages/payment_documents/confirm", errors, viewer=viewer, draft=draft, deadline=deadline)


async def _accounts_page(viewer: Viewer, errors: dict[str, str] | None = None) -> Template:
    """Step 1: choose the account."""
    return page(
        "pages/payment_documents/index",
        errors,
        viewer=viewer,
        accounts=await services.accounts_to_choose(viewer),
        documents=await services.my_documents(viewer),
        selected="",
    )


def _pdf_file(document: services.DocumentDetail) -> PreparingFile:
    return PreparingFile(
        label=_("bills due document %(reference)s") % {"reference": document.code.reference},
        href=f"/payment-documents/{document.id}/pdf",
        status_href=f"/payment-documents/{document.id}/pdf/status",
        back_href=f"/payment-documents/{document.id}",
        key=pdf.key(document.code.reference, i18n.current()),
        filename=f"bills-due-{document.code.reference}.pdf",
    )


class PaymentDocumentsController(Controller):
    path = "/payment-documents"

    @get("/", name="payment_documents")
    async def index(self, viewer: NamedDependency[Viewer]) -> Template:
        return await _accounts_page(viewer)

    @get("/bills", name="payment_document_bills")
    async def bills(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        account: FromQuery[str] = "",
        select: FromQuery[str] = "",
    ) -> Template:
        """Step 2. `account` comes from step 1's form (GET: choosing changes nothing). "Select all" and
        "Clear" are buttons of the same GET form, so they work without JavaScript."""
        if not account:
            return await _accounts_page(viewer, {"account": _(CHOOSE_ACCOUNT)})
        found = await _account_bills(viewer, account)
        checked = {bill.id for bill in found.bills if bill.selectable} if select == "all" else set()
        return _bills_page(viewer, settings, found, checked)

    @post("/bills", name="payment_document_bills_post")
    async def create(
        self, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings], data: Form
    ) -> Template | Redirect:
        """Without JavaScript: keep the selection and ask for confirmation on a page of its own. With it,
        the confirmation was a dialog on this page, whose "Create document" posts `confirmed`."""
        account = field(data, "account")[:20]
        bill_ids = _bill_ids(data)
        try:
            if data.get("confirmed") == "yes":
                document_id = await services.create_document(viewer, account, bill_ids, settings.issuer)
                return Redirect(f"/payment-documents/{document_id}?created=1", status_code=303)
            draft_id = await services.create_draft(viewer, account, bill_ids)
        except DocumentError as error:
            found = await services.account_bills(viewer, account)
            if found is None:  # a form without its account (or with one not theirs): step 1 again
                return await _accounts_page(viewer, {"account": _(CHOOSE_ACCOUNT)})
            return _bills_page(viewer, settings, found, set(bill_ids), {"bills": error.message})
        return Redirect(f"/payment-documents/drafts/{draft_id}", status_code=303)

    @get("/drafts/{draft_id:int}", name="payment_document_confirm")
    async def confirm_page(
        self, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings], draft_id: FromPath[int]
    ) -> Template | Redirect:
        draft = await services.get_draft(viewer, draft_id)
        if draft is None:
            # Confirmed already (the back button after "Create document", a second tab): a draft becomes
            # its document, so show that, to whoever may see it.
            await self._visible(viewer, settings, draft_id)
            return see_other(f"/payment-documents/{draft_id}")
        return _confirm_page(viewer, settings, draft, draft.problem)

    @post("/drafts/{draft_id:int}", name="payment_document_confirm_post")
    async def confirm(
        self, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings], draft_id: FromPath[int]
    ) -> Template | Redirect:
        try:
            document_id = await services.confirm(viewer, draft_id, settings.issuer)
        except DocumentError as error:
            draft = await services.get_draft(viewer, draft_id)
            if draft is None:
                raise NotFoundException() from error
            return _confirm_page(viewer, settings, draft, error.message)
        return Redirect(f"/payment-documents/{document_id}?created=1", status_code=303)

    @get("/{document_id:int}", name="payment_document")
    async def view(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        document_id: FromPath[int],
        created: FromQuery[str] = "",
    ) -> Template:
        document = await self._visible(viewer, settings, document_id)
        return page(
            "pages/payment_documents/view",
            viewer=viewer,
            document=document,
            created=bool(created),
            barcode=barcode(document.code.barcode_digits),
            epc_qr=pdf.epc_qr(document, settings.issuer),
        )

    @get("/{document_id:int}/pdf", name="payment_document_pdf")
    async def pdf(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        queue: NamedDependency[Queue],
        document_id: FromPath[int],
    ) -> FileAnswer:
        """ "Bills due": the stored PDF; while it is being prepared, a page that says so."""
        document = await self._visible(viewer, settings, document_id)
        ready = await pdf.ensure(document, storage, queue, i18n.current())
        return await serve_or_prepare(_pdf_file(document), ready, storage, viewer=viewer)

    @get("/{document_id:int}/pdf/status", name="payment_document_pdf_status")
    async def pdf_status(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        queue: NamedDependency[Queue],
        document_id: FromPath[int],
    ) -> FileAnswer:
        document = await self._visible(viewer, settings, document_id)
        ready = await pdf.ensure(document, storage, queue, i18n.current())
        return await serve_or_prepare(_pdf_file(document), ready, storage, polled=True)

    @staticmethod
    async def _visible(viewer: Viewer, settings: Settings, document_id: int) -> services.DocumentDetail:
        document = await services.get_document(viewer, document_id, settings.issuer)
        if document is None:
            raise NotFoundException()
        return document
