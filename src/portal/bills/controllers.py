"""My bills, View online bill and the bill's machine-readable files. Bills of accounts the viewer may not
see answer 404, exactly like bills that do not exist."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath
from litestar.response import Stream, Template
from saq import Queue

from portal import i18n
from portal.banking.cuaderno57 import CPR_CUADERNO_57
from portal.bills import exports, facturx, pdf, services
from portal.bills.services import BillFilters
from portal.i18n import gettext as _
from portal.infra.storage import Storage
from portal.settings import Settings
from portal.viewer import Viewer
from portal.web import months, pages
from portal.web.files import DOWNLOAD_HEADERS, XLSX, FileAnswer, PreparingFile, serve_or_prepare
from portal.web.months import TypedMonth


@dataclasses.dataclass(frozen=True)
class FilterQuery:
    """My bills' filters as typed (to show them back), as parsed, and what is wrong with them."""

    values: dict[str, str]
    filters: BillFilters
    errors: dict[str, str]


def filter_query(query: Mapping[str, str]) -> FilterQuery:
    """The filters from the query string. Read here rather than as query parameters of a dependency:
    Litestar resolves such a dependency beside the viewer in a task group, a tenth of a page's time."""
    account, status = query.get("account", ""), query.get("status", "")
    errors: dict[str, str] = {}
    dates: dict[str, dt.date | None] = {}
    typed: dict[str, TypedMonth] = {}
    for name, label in (("period_from", _("Period from")), ("period_to", _("Period to"))):
        typed[name] = TypedMonth.read(query, name)
        dates[name] = None
        if not typed[name].blank:
            dates[name], error = months.first_day(typed[name], label)
            if error:
                errors[name] = error
    start, end = dates["period_from"], dates["period_to"]
    if start and end and end < start:
        errors["period_to"] = _("Period to must be the same month as Period from or a later one")
    if status and status not in services.STATUSES:
        errors["status"] = _("Select a status from the list")
    filters = BillFilters(
        account[:20],
        start,
        months.last_day(end) if end else None,
        status if status in services.STATUSES else "",
    )
    values = {"account": account, "status": status}
    for name, month in typed.items():
        values |= {f"{name}_month": month.month, f"{name}_year": month.year}
    return FilterQuery(values, filters if not errors else BillFilters(), errors)


STATUS_CHOICES = tuple(services.STATUSES.items())
"""The status filter's choices, (status, English label): a tuple, so that once() can take them."""


class BillsController(Controller):
    path = "/bills"

    @get("/", name="my_bills")
    async def my_bills(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Viewer],
    ) -> Template:
        query = filter_query(request.query_params)
        after = request.query_params.get("after", "")
        errors, filters = query.errors, query.filters
        # The account filter is checked after the query that also brings the choices to check it against:
        # an account the viewer may not see matches no bills anyway (every query is scoped to the viewer).
        page = await services.my_bills(viewer, filters, after)
        choices = page.accounts
        account = filters.account
        if account and not (
            any(choice.number == account for choice in choices)
            if choices is not None
            else await services.sees_account(viewer, account)
        ):
            errors = {
                "account": _("Select an account from the list")
                if choices is not None
                else _("Enter the number of one of your accounts"),
                **errors,
            }
            page = await services.my_bills(viewer, BillFilters(), after)
        return pages.page(
            "pages/bills/list",
            errors,
            viewer=viewer,
            page=page,
            account_choices=choices,
            values=query.values,
            statuses=STATUS_CHOICES,
            older=bool(after),
        )

    @get("/bills.csv", name="bills_csv")
    async def as_csv(self, request: Request[Any, Any, Any], viewer: NamedDependency[Viewer]) -> Stream:
        """Every bill that matches the filters, page by page, so memory stays flat however many there are."""
        query = filter_query(request.query_params)
        if query.errors:
            raise ValidationException(detail="Check the filters")
        return Stream(
            exports.csv_text(exports.my_bills_pages(viewer, query.filters)),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
            headers={**DOWNLOAD_HEADERS, "content-disposition": 'attachment; filename="bills.csv"'},
        )

    @get("/bills.xlsx", name="bills_xlsx")
    async def as_excel(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[Viewer]
    ) -> Response[bytes]:
        """The same bills as the CSV, for people: an Excel workbook in the page's language (the CSV stays
        for programs, as documented: a spreadsheet in Spain would want other separators)."""
        query = filter_query(request.query_params)
        if query.errors:
            raise ValidationException(detail="Check the filters")
        return Response(
            await exports.excel_workbook(exports.my_bills_pages(viewer, query.filters)),
            media_type=XLSX,
            headers={**DOWNLOAD_HEADERS, "content-disposition": 'attachment; filename="bills.xlsx"'},
        )

    @get("/{bill_id:int}", name="view_bill")
    async def view(self, viewer: NamedDependency[Viewer], bill_id: FromPath[int]) -> Template:
        bill = await _visible_bill(viewer, bill_id)
        payments = await services.bill_payments(viewer, bill_id)
        return pages.page(
            "pages/bills/view", viewer=viewer, bill=bill, payments=payments, statuses=services.STATUSES
        )

    @get("/{bill_id:int}/pdf", name="bill_pdf")
    async def pdf(
        self,
        viewer: NamedDependency[Viewer],
        storage: NamedDependency[Storage],
        queue: NamedDependency[Queue],
        bill_id: FromPath[int],
    ) -> FileAnswer:
        """The stored PDF; while it is being prepared, a page that says so (and updates itself)."""
        bill = await _visible_bill(viewer, bill_id)
        ready = await pdf.ensure(bill_id, bill.row.number, storage, queue, i18n.current())
        return await serve_or_prepare(_pdf_file(bill), ready, storage, viewer=viewer)

    @get("/{bill_id:int}/pdf/status", name="bill_pdf_status")
    async def pdf_status(
        self,
        viewer: NamedDependency[Viewer],
        storage: NamedDependency[Storage],
        queue: NamedDependency[Queue],
        bill_id: FromPath[int],
    ) -> FileAnswer:
        bill = await _visible_bill(viewer, bill_id)
        ready = await pdf.ensure(bill_id, bill.row.number, storage, queue, i18n.current())
        return await serve_or_prepare(_pdf_file(bill), ready, storage, polled=True)

    @get("/{bill_id:int}/factur-x.xml", name="bill_xml")
    async def factur_x(
        self, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings], bill_id: FromPath[int]
    ) -> Response[bytes]:
        bill = await _visible_bill(viewer, bill_id)
        xml = facturx.factur_x_xml(await pdf.bill_document(bill, settings.issuer))
        return Response(
            xml,
            media_type="application/xml",
            headers={
                **DOWNLOAD_HEADERS,
                "content-disposition": f'attachment; filename="{bill.row.number}-factur-x.xml"',
            },
        )

    @get("/{bill_id:int}/bill.json", name="bill_json")
    async def as_json(
        self, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings], bill_id: FromPath[int]
    ) -> Response[bytes]:
        bill = await _visible_bill(viewer, bill_id)
        body = json.dumps(
            _bill_json(bill, settings.issuer.code), ensure_ascii=False, indent=2, default=str
        ).encode()
        return Response(
            body,
            media_type="application/json",
            headers={
                **DOWNLOAD_HEADERS,
                "content-disposition": f'attachment; filename="{bill.row.number}.json"',
            },
        )


async def _visible_bill(viewer: Viewer, bill_id: int) -> services.BillDetail:
    bill = await services.get_bill(viewer, bill_id)
    if bill is None:
        raise NotFoundException()
    return bill


def _pdf_file(bill: services.BillDetail) -> PreparingFile:
    return PreparingFile(
        label=_("bill %(number)s") % {"number": bill.row.number},
        href=f"/bills/{bill.row.id}/pdf",
        status_href=f"/bills/{bill.row.id}/pdf/status",
        back_href=f"/bills/{bill.row.id}",
        key=pdf.key(bill.row.number, i18n.current()),
        filename=f"{bill.row.number}.pdf",
    )


def _bill_json(bill: services.BillDetail, issuer_code: str) -> dict[str, Any]:
    row = bill.row._asdict()
    row.pop("id")
    return {
        **row,
        "currency": "EUR",
        "holder": {"name": bill.holder_name, "identity": bill.holder_identity},
        "supply_address": bill.supply_address,
        "tariff": bill.tariff,
        "meter": {
            "previous": bill.reading_previous,
            "current": bill.reading_current,
            "consumption_m3": bill.consumption_m3,
        },
        "lines": bill.lines,
        "taxable_cents": bill.taxable_cents,
        "vat_cents": bill.vat_cents,
        # None for a credit bill: nothing to pay, no code.
        "payment": {
            "cpr": CPR_CUADERNO_57,
            "issuer": issuer_code,
            "suffix": bill.payment_suffix,
            "reference": bill.payment_reference,
            "identification": bill.payment_identification,
        }
        if bill.payment_reference is not None
        else None,
    }
