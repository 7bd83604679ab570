"""Massive bills download: "Request download" (details → mark the bills → check, with "Download list"
and "Confirm") and "Downloads requested". Each handler parses, calls one service and renders a page or
redirects (303); requests of other users answer 404."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Stream, Template
from litestar.status_codes import HTTP_404_NOT_FOUND, HTTP_410_GONE
from saq import Queue

from portal.bills.services import visible_accounts
from portal.db.tables.downloads import DownloadState
from portal.downloads import archive, exports, flow, forms, requests, selection, stored
from portal.downloads.forms import DetailsForm
from portal.downloads.requests import Download
from portal.infra.storage import Storage
from portal.settings import Settings
from portal.viewer import Viewer
from portal.web import files
from portal.web.files import DOWNLOAD_HEADERS, XLSX
from portal.web.forms import Form, field, values
from portal.web.pages import fragment, go_to, page, see_other
from portal.web.params import parse_number


async def _owned(viewer: Viewer, request_id: int) -> Download:
    download = await requests.get_request(viewer, request_id)
    if download is None:
        raise NotFoundException()
    return download


class ConfirmedError(Exception):
    """A draft's page asked for after the draft was confirmed (the back button after Confirm)."""

    def __init__(self, request_id: int) -> None:
        super().__init__(request_id)
        self.request_id = request_id


async def provide_draft(viewer: NamedDependency[Viewer], request_id: FromPath[int]) -> Download:
    """The `draft` of the draft pages: the viewer's request while it is a draft; 404 for anyone else's."""
    download = await _owned(viewer, request_id)
    if download.state != DownloadState.draft:
        raise ConfirmedError(request_id)
    return download


def _to_confirmation(request: Request[Any, Any, Any], error: ConfirmedError) -> Response[Any]:
    """Once confirmed (in another tab, say), a draft's pages and its ticked boxes lead to its
    confirmation."""
    return go_to(request, f"/downloads/{error.request_id}/requested")


def _page_number(text: str) -> int:
    return parse_number(text, high=999_999) or 1


class DownloadsController(Controller):
    path = "/downloads"
    dependencies = {"draft": Provide(provide_draft)}  # noqa: RUF012 (Litestar's own class attributes)
    exception_handlers = {ConfirmedError: _to_confirmation}  # noqa: RUF012

    @get("/", name="massive_download")
    async def start(self, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings]) -> Template:
        return page("pages/downloads/start", viewer=viewer, retention_days=settings.downloads.retention_days)

    async def _details_page(
        self, viewer: Viewer, answers: DetailsForm, errors: dict[str, str], draft_id: int | None
    ) -> Template:
        return page(
            "pages/downloads/details",
            errors,
            viewer=viewer,
            values=answers,
            draft_id=draft_id,
            presets=forms.PERIOD_PRESETS,
            select_by=forms.SELECT_BY,
            accounts=await visible_accounts(viewer),
            holders=await requests.visible_holders(viewer),
        )

    @get("/new", name="download_new")
    async def new(self, viewer: NamedDependency[Viewer]) -> Template:
        return await self._details_page(viewer, DetailsForm(period_preset="last_12"), {}, None)

    @post("/new", name="download_new_post")
    async def new_post(self, viewer: NamedDependency[Viewer], data: Form) -> Template | Redirect:
        answers = forms.details(data)
        draft_id, outcome = await flow.save_details(viewer, None, answers)
        if draft_id is None:
            return await self._details_page(viewer, answers, outcome.errors, None)
        return see_other(f"/downloads/{draft_id}/bills")

    @get("/{request_id:int}/details", name="download_details")
    async def details(self, viewer: NamedDependency[Viewer], draft: NamedDependency[Download]) -> Template:
        return await self._details_page(viewer, draft.details, {}, draft.id)

    @post("/{request_id:int}/details", name="download_details_post")
    async def details_post(
        self, viewer: NamedDependency[Viewer], draft: NamedDependency[Download], data: Form
    ) -> Template | Redirect:
        answers = forms.details(data)
        saved, outcome = await flow.save_details(viewer, draft.id, answers)
        if saved is None:
            return await self._details_page(viewer, answers, outcome.errors, draft.id)
        return see_other(f"/downloads/{draft.id}/bills")

    @get("/{request_id:int}/bills", name="download_bills")
    async def bills(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        draft: NamedDependency[Download],
        page_number: Annotated[str, QueryParameter(name="page")] = "1",
    ) -> Template:
        shown = await selection.selection_page(viewer, draft, _page_number(page_number))
        return page(
            "pages/downloads/bills", viewer=viewer, draft=draft, selection=shown, limits=settings.downloads
        )

    @post("/{request_id:int}/bills", name="download_bills_post")
    async def bills_post(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        draft: NamedDependency[Download],
        data: Form,
    ) -> Template | Redirect:
        action = field(data, "action")
        number = _page_number(field(data, "page"))
        errors = await selection.update_marks(
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
            errors = selection.check_limits_of_marks(
                await selection.marked_summary(viewer, draft), settings.downloads
            )
        if errors:
            shown = await selection.selection_page(viewer, draft, number)
            return page(
                "pages/downloads/bills",
                errors,
                viewer=viewer,
                draft=draft,
                selection=shown,
                limits=settings.downloads,
            )
        if action == "continue":
            return see_other(f"/downloads/{draft.id}/check")
        return see_other(f"/downloads/{draft.id}/bills?page={number}#bills-heading")

    @post("/{request_id:int}/bills/marks", name="download_marks")
    async def marks(
        self, viewer: NamedDependency[Viewer], draft: NamedDependency[Download], data: Form
    ) -> Template:
        """A box ticked or unticked with JavaScript: save the page's marks, answer the count and total."""
        await selection.update_marks(viewer, draft, "", values(data, "shown"), values(data, "bill"))
        return fragment("partials/downloads/marked", marked=await selection.marked_summary(viewer, draft))

    @get("/{request_id:int}/check", name="download_check")
    async def check(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        draft: NamedDependency[Download],
    ) -> Template:
        return await self._check_page(viewer, draft, {})

    async def _check_page(self, viewer: Viewer, draft: Download, errors: dict[str, str]) -> Template:
        return page(
            "pages/downloads/check",
            errors,
            viewer=viewer,
            draft=draft,
            marked=await selection.marked_summary(viewer, draft),
            bills=await selection.marked_bills(viewer, draft),
            shown_limit=selection.CHECK_PAGE_SIZE,
            select_by=forms.SELECT_BY,
        )

    @get("/{request_id:int}/list.xlsx", name="download_list")
    async def excel(self, viewer: NamedDependency[Viewer], request_id: FromPath[int]) -> Response[bytes]:
        download = await _owned(viewer, request_id)
        body = await exports.excel_list(viewer, download)
        stem = download.file_name.removesuffix(".zip") or "bills"
        return Response(
            body,
            media_type=XLSX,
            headers={
                **DOWNLOAD_HEADERS,
                "content-disposition": files.content_disposition(f"{stem}.xlsx"),
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
        outcome = await flow.confirm(viewer, request_id, settings, queue)
        if not outcome.ok:
            return await self._check_page(viewer, download, outcome.errors)
        return see_other(f"/downloads/{request_id}/requested" + ("?later=1" if outcome.postponed else ""))

    @get("/{request_id:int}/requested", name="download_confirmation")
    async def confirmation(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        request_id: FromPath[int],
        later: FromQuery[str] = "",
    ) -> Template | Redirect:
        """`later`: the job queue did not answer at Confirm, so the request waits for it."""
        download = await _owned(viewer, request_id)
        if download.state == DownloadState.draft:
            return see_other(f"/downloads/{request_id}/check")
        return page(
            "pages/downloads/confirmation",
            viewer=viewer,
            download=await stored.checked(storage, download),
            later=bool(later),
            retention_days=settings.downloads.retention_days,
        )

    @get("/requested", name="downloads_requested")
    async def requested(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        failed: FromQuery[str] = "",
    ) -> Template:
        downloads = await stored.checked_all(storage, await requests.list_requests(viewer))
        errors = {"": flow.too_many_message(settings.downloads)} if failed == "limit" else {}
        context = _status_context(downloads, "", settings)
        return page("pages/downloads/requested", errors, viewer=viewer, downloads=downloads, **context)

    @get("/requested/status", name="downloads_status")
    async def status(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        seen: FromQuery[str] = "",
    ) -> Template:
        """The polled fragment; 286 stops htmx polling once nothing is queued or being prepared."""
        downloads = await stored.checked_all(storage, await requests.list_requests(viewer))
        context = _status_context(downloads, seen, settings)
        return fragment(
            "partials/downloads/status",
            downloads=downloads,
            **context,
            status=200 if context["polling"] else 286,
        )

    @get("/{request_id:int}/file", name="download_file")
    async def file(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        request_id: FromPath[int],
    ) -> Stream | Template:
        download = await _owned(viewer, request_id)
        # Ready: given even past its time until the sweep deletes it; `shown_state` also refuses the zip of
        # a request that holds bills its owner no longer sees (asked now, not when the zip was made).
        if download.shown_state == DownloadState.ready:
            key = archive.zip_key(download.id)
            zip_file = await files.stored_file(storage, key, download.file_name, "application/zip")
            if zip_file is not None:
                return zip_file
            download = stored.not_stored(download)
        return _no_file(download, viewer, settings)

    @post("/{request_id:int}/retry", name="download_retry")
    async def retry(
        self,
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        queue: NamedDependency[Queue],
        request_id: FromPath[int],
    ) -> Redirect:
        await _owned(viewer, request_id)
        outcome = await flow.try_again(viewer, request_id, settings, queue)
        return see_other("/downloads/requested" if outcome.ok else "/downloads/requested?failed=limit")


_NO_FILE_STATUS = {
    DownloadState.queued: HTTP_404_NOT_FOUND,
    DownloadState.preparing: HTTP_404_NOT_FOUND,
    DownloadState.failed: HTTP_404_NOT_FOUND,  # "Try again" makes it, at the same address
    requests.UNAVAILABLE: HTTP_404_NOT_FOUND,  # given again if the access comes back
    # Lost before its time: given again if an operator puts it back (a backup, the bucket's versions), and
    # nothing tells that it is gone for good.
    requests.MISSING: HTTP_404_NOT_FOUND,
    DownloadState.expired: HTTP_410_GONE,  # deleted for good: the bills are requested again, anew
}


def _no_file(download: Download, viewer: Viewer, settings: Settings) -> Template:
    """The file's address of the viewer's own request that has none to give (an old link, a bookmark, the
    list left open): what became of it and the way on, not "Page not found… check the address you typed".
    Another user's request, or none, is "Page not found" as ever (`_owned`), and so is a draft's file."""
    state = download.file_state
    if state not in _NO_FILE_STATUS:
        raise NotFoundException()
    return page(
        "pages/downloads/no_file",
        viewer=viewer,
        download=download,
        state=state,
        retention_days=settings.downloads.retention_days,
        status=_NO_FILE_STATUS[state],
    )


def _status_context(downloads: list[Download], seen: str, settings: Settings) -> dict[str, Any]:
    """Whether to keep polling, the states as the page now shows them (sent back by the next poll), and
    what changed since the last poll, to announce politely."""
    states = requests.state_signature(downloads)
    return {
        "polling": any(download.in_progress for download in downloads),
        "retention_days": settings.downloads.retention_days,
        "signature": states,
        "announcement": requests.changes_since(downloads, seen) if seen else "",
    }
