"""Serving generated files (bill PDFs, bills-due documents, receipts, …): the headers every download gets,
and for a stored file made by a job, `serve_or_prepare`: the file when it is ready, otherwise the page
(and its polled status) saying that a job is making it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from litestar import Response
from litestar.response import Stream, Template
from litestar.status_codes import HTTP_204_NO_CONTENT

from portal.infra.storage import Storage
from portal.web.pages import fragment

FileAnswer = Stream | Template | Response[bytes]
"""What `serve_or_prepare` answers: the file, the page saying it is being prepared, or a status poll's."""

DOWNLOAD_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class PreparingFile:
    """A file a job is making: where to get it, where its status is polled, and the way back."""

    label: str
    """What it is, after "Download" (e.g. "bill FA00000000025")."""
    href: str
    status_href: str
    back_href: str
    key: str
    """Where storage keeps it."""
    filename: str
    """The name it downloads as."""


async def serve_or_prepare(
    file: PreparingFile, ready: bool, storage: Storage, *, polled: bool = False, **context: object
) -> FileAnswer:
    """A stored PDF made by a job: the file once `ready`, otherwise the page that says it is being prepared
    (with `context`); `polled` answers that page's status poll instead."""
    if polled:
        return _status_fragment(file, ready)
    if ready:
        stored = await stored_file(storage, file.key, file.filename, "application/pdf")
        if stored is not None:
            return stored
    return _preparing_page(file, **context)


async def stored_file(storage: Storage, key: str, filename: str, media_type: str) -> Stream | None:
    """A generated file streamed from storage (never whole in memory), as a download with a server-made
    name, never cached; None if it is not stored."""
    found = await storage.open(key)
    if found is None:
        return None
    size, chunks = found
    headers = {
        **DOWNLOAD_HEADERS,
        "content-disposition": content_disposition(filename),
        "content-length": str(size),
    }
    return Stream(chunks, media_type=media_type, headers=headers)


def _preparing_page(file: PreparingFile, **context: object) -> Template:
    return Template(template_name="pages/files/preparing.html", context={"file": file, **context})


def _status_fragment(file: PreparingFile, ready: bool) -> Template | Response[bytes]:
    """The polled status. Until the file is ready, 204: htmx swaps nothing, so the status region does not
    announce the same words every two seconds. Then 286, which also tells htmx to stop polling."""
    if not ready:
        return Response(b"", status_code=HTTP_204_NO_CONTENT, headers={"vary": "HX-Request"})
    return fragment("partials/files/ready", file=file, status=286)


def content_disposition(file_name: str) -> str:
    """An attachment header for a server-made name: plain when ASCII, RFC 5987 otherwise."""
    ascii_name = file_name.encode("ascii", "replace").decode().replace("?", "_")
    if ascii_name == file_name:
        return f'attachment; filename="{file_name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=utf-8''{quote(file_name)}"
