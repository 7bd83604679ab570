"""Massive bills download: "Request download" (details → mark the bills → check, with "Download list"
and "Confirm") and "Downloads requested". Each handler parses, calls one service and renders a page or
redirects (303); requests of other users answer 404."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import File, Redirect, Template
from saq import Queue

from portal.accounts.services import visible_accounts
from portal.db.tables.downloads import DownloadState
from portal.downloads import forms, services
from portal.downloads.forms import Details
from portal.downloads.services import Download
from portal.infra.storage import Storage
from portal.settings import Settings
from portal.web.files import DOWNLOAD_HEADERS
from portal.web.forms import Form, field, values
from portal.web.params import parse_number
from portal.web.sessions import Viewer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def page(template: str, errors: dict[str, str] | None = None, **context: Any) -> Template:
    return Template(
        template_name=f"pages/downloads/{template}.html",
        context={"errors": errors or {}, **context},
        status_code=422 if errors else 200,
    )


def see_other(path: str) -> Redirect:
    return Redirect(path, status_code=303)


async def _owned(viewer: Viewer, request_id: int) -> Download:
    download = await services.get_request(viewer, request_id)
    if download is None:
        raise NotFoundException()
    return download


async def _draft(viewer: Viewer, request_id: int) -> Download | Redirect:
    """The draft, or where to go once it has been confirmed (the back button after Confirm)."""
    download = await _owned(viewer, request_id)
    if download.state != DownloadState.draft:
        return see_other(f"/downloads/{request_id}/requested")
    return download


def _page_number(text: str) -> int:
    return parse_number(text, high=999_999) or 1


class DownloadsController(Controller):
    path = "/downloads"

    @get("/", name="massive_download", cache=False)
    async def start(self, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings]) -> Template:
        return page("start", viewer=viewer, retention_days=settings.downloads.retention_days)

    async def _details_page(
        self, viewer: Viewer, answers: Details, errors: dict[str, str], draft_id: int | None
    ) -> Template:
        return page(
            "details",
            errors,
            viewer=viewer,
            values=answers,
            draft_id=draft_id,
            presets=forms.PERIOD_PRESETS,
            select_by=forms.SELECT_BY,
            accounts=await visible_accounts(viewer),
            holders=await services.visible_holders(viewer),
        )

    @get("/new", name="download_new", cache=False)
    async def new(self, viewer: NamedDependency[Viewer]) -> Template:
        return await self._details_page(viewer, Details(period_preset="last_12"), {}, None)

    @post("/new", name="download_new_post")
    async def new_post(self, viewer: NamedDependency[Viewer], data: Form) -> Template | Redirect:
        answers = forms.details(data)
        draft_id, outcome = await services.save_details(viewer, None, answers)
        if draft_id is None:
            return await self._details_page(viewer, answers, outcome.errors, None)
        return see_other(f"/downloads/{draft_id}/bills")

    @get("/{request_id:int}/details", name="download_details", cache=False)
    async def details(
        self, viewer: NamedDependency[Viewer], request_id: FromPath[int]
    ) -> Template | Redirect:
        draft = await _draft(viewer, request_id)
        if isinstance(draft, Redirect):
            return draft
        return await self._details_page(viewer, draft.details, {}, draft.id)

    @post("/{request_id:int}/details", name="download_details_post")
    async def details_post(
        self, viewer: NamedDependency[Viewer], request_id: FromPath[int], data: Form
    ) -> Template | Redirect:
        draft = await _draft(viewer, request_id)
        if isinstance(draft, Redirect):
            return draft
        answers = forms.details(data)
        saved, outcome = await services.save_details(viewer, draft.id, answers)
        if saved is None:
            return await self._details_page(viewer, answers, outcome.errors, draft.id)
        return see_other(f"/downloads/{draft.id}/bills")

    @get("/{request_id:int}/bills", name="download_bills", cache=False)
    async def bills(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        request_id: FromPath[int],
        page_number: Annotated[str, QueryParameter(name="page")] = "1",
    ) -> Template | Redirect:
        draft = await _draft(viewer, request_id)
        if isinstance(draft, Redirect):
            return draft
        selection = await services.selection_page(viewer, draft, _page_number(page_number))
        return page("bills", viewer=viewer, draft=draft, selection=selection, limits=settings.downloads)

    @post("/{request_id:int}/bills", name="download_bills_post")
    async def bills_post(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        request_id: FromPath[int],
        data: Form,
    ) -> Template | Redirect:
        draft = await _draft(viewer, request_id)
        if isinstance(draft, Redirect):
            return draft
        action = field(data, "action")
        number = _page_number(field(data, "page"))
        errors = await services.update_marks(
            viewer,
            draft,
            action,
            values(data, "shown"),
            values(data, "bill"),
            max_bills=settings.downloads.max_bills,
        )
        if action.startswith("page:"):
            number = _page_number(action.removeprefix("page:"))
        if action == "continue":
            errors = services.check_limits_of_marks(
                await services.marked_summary(viewer, draft), settings.downloads
            )
        if errors:
            selection = await services.selection_page(viewer, draft, number)
            return page(
                "bills", errors, viewer=viewer, draft=draft, selection=selection, limits=settings.downloads
            )
        if action == "continue":
            return see_other(f"/downloads/{draft.id}/check")
        return see_other(f"/downloads/{draft.id}/bills?page={number}#bills-heading")

    @post("/{request_id:int}/bills/marks", name="download_marks")
    async def marks(
        self, viewer: NamedDependency[Viewer], request_id: FromPath[int], data: Form
    ) -> Template | Redirect:
        """A box ticked or unticked with JavaScript: save the page's marks, answer the count and total."""
        draft = await _draft(viewer, request_id)
        if isinstance(draft, Redirect):
            return draft
        await services.update_marks(viewer, draft, "", values(data, "shown"), values(data, "bill"))
        return Template(
            template_name="partials/downloads/marked.html",
            context={"marked": await services.marked_summary(viewer, draft)},
        )

    @get("/{request_id:int}/check", name="download_check", cache=False)
    async def check(
        self, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings], request_id: FromPath[int]
    ) -> Template | Redirect:
        draft = await _draft(viewer, request_id)
        if isinstance(draft, Redirect):
            return draft
        return await self._check_page(viewer, draft, {})

    async def _check_page(self, viewer: Viewer, draft: Download, errors: dict[str, str]) -> Template:
        return page(
            "check",
            errors,
            viewer=viewer,
            draft=draft,
            marked=await services.marked_summary(viewer, draft),
            bills=await services.marked_bills(viewer, draft),
            shown_limit=services.CHECK_PAGE_SIZE,
            select_by=forms.SELECT_BY,
        )

    @get("/{request_id:int}/list.xlsx", name="download_list", cache=False)
    async def excel(self, viewer: NamedDependency[Viewer], request_id: FromPath[int]) -> Response[bytes]:
        download = await _owned(viewer, request_id)
        body = await services.excel_list(viewer, download)
        stem = download.file_name.removesuffix(".zip") or "bills"
        return Response(
            body,
            media_type=XLSX,
            headers={
                **DOWNLOAD_HEADERS,
                "content-disposition": services.content_disposition(f"{stem}.xlsx"),
            },
        )

    @post("/{request_id:int}/confirm", name="download_confirm")
    async def confirm(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        queue: NamedDependency[Queue],
        request_id: FromPath[int],
    ) -> Template | Redirect:
        download = await _owned(viewer, request_id)
        if download.state != DownloadState.draft:
            return see_other(f"/downloads/{request_id}/requested")  # a second submit
        outcome = await services.confirm(viewer, request_id, settings, queue)
        if not outcome.ok:
            return await self._check_page(viewer, download, outcome.errors)
        return see_other(f"/downloads/{request_id}/requested")

    @get("/{request_id:int}/requested", name="download_confirmation", cache=False)
    async def confirmation(
        self, viewer: NamedDependency[Viewer], request_id: FromPath[int]
    ) -> Template | Redirect:
        download = await _owned(viewer, request_id)
        if download.state == DownloadState.draft:
            return see_other(f"/downloads/{request_id}/check")
        return page("confirmation", viewer=viewer, download=download)

    @get("/requested", name="downloads_requested", cache=False)
    async def requested(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        failed: FromQuery[str] = "",
    ) -> Template:
        downloads = await services.list_requests(viewer)
        errors = {"": services.too_many_message(settings.downloads)} if failed == "limit" else {}
        context = _status_context(downloads, "", settings)
        return page("requested", errors, viewer=viewer, downloads=downloads, **context)

    @get("/requested/status", name="downloads_status", cache=False)
    async def status(
        self, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings], seen: FromQuery[str] = ""
    ) -> Template:
        """The polled fragment; 286 stops htmx polling once nothing is queued or being prepared."""
        downloads = await services.list_requests(viewer)
        context = _status_context(downloads, seen, settings)
        return Template(
            template_name="partials/downloads/status.html",
            context={"downloads": downloads, **context},
            status_code=200 if context["polling"] else 286,
        )

    @get("/{request_id:int}/file", name="download_file", cache=False)
    async def file(
        self, viewer: NamedDependency[Viewer], storage: NamedDependency[Storage], request_id: FromPath[int]
    ) -> File:
        found = await services.ready_file(viewer, request_id, storage)
        if found is None:
            raise NotFoundException()
        key, file_name = found
        return File(
            path=storage.path(key), filename=file_name, media_type="application/zip", headers=DOWNLOAD_HEADERS
        )

    @post("/{request_id:int}/retry", name="download_retry")
    async def retry(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        queue: NamedDependency[Queue],
        request_id: FromPath[int],
    ) -> Redirect:
        await _owned(viewer, request_id)
        outcome = await services.try_again(viewer, request_id, settings, queue)
        return see_other("/downloads/requested" if outcome.ok else "/downloads/requested?failed=limit")


def _status_context(downloads: list[Download], seen: str, settings: Settings) -> dict[str, Any]:
    """Whether to keep polling, the states as the page now shows them (sent back by the next poll), and
    what changed since the last poll, to announce politely."""
    states = services.state_signature(downloads)
    return {
        "polling": any(download.in_progress for download in downloads),
        "retention_days": settings.downloads.retention_days,
        "signature": states,
        "announcement": services.changes_since(downloads, seen) if seen else "",
    }
