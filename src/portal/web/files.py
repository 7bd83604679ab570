"""Serving generated files (bill PDFs, bills-due documents, …): the headers every download gets, and the
page shown while a job is still making one."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.response import File, Template

from portal.infra.storage import Storage

DOWNLOAD_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


@dataclass(frozen=True)
class PreparingFile:
    """A file a job is making: where to get it, where its status is polled, and the way back."""

    label: str
    """What it is, after "Download" (e.g. "bill FA00000000025")."""
    href: str
    status_href: str
    back_href: str


def stored_pdf(storage: Storage, key: str, filename: str) -> File:
    """A generated PDF from storage, as a download with a server-made name, never cached."""
    return File(
        path=storage.path(key), filename=filename, media_type="application/pdf", headers=DOWNLOAD_HEADERS
    )


def preparing_page(file: PreparingFile, **context: object) -> Template:
    return Template(template_name="pages/files/preparing.html", context={"file": file, **context})


def status_fragment(file: PreparingFile, ready: bool) -> Template:
    """The polled status; 286 tells htmx to stop polling once the file is ready."""
    return Template(
        template_name="partials/files/status.html",
        context={"file": file, "ready": ready},
        status_code=286 if ready else 200,
    )
