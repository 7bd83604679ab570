"""Whether storage still has a ready request's zip. It can lose one before its time (an operator deletes
it, a bucket loses the object, someone empties the folder): the request then shows `MISSING` rather than
promising a file that its address cannot give, and each answer that finds it so logs one warning line (the
request and the key, nothing about the customer) and counts it in
`portal_storage_errors_total{operation="missing"}`."""

from __future__ import annotations

import asyncio
import dataclasses

import structlog

from portal.db.tables.downloads import DownloadState
from portal.downloads.archive import zip_key
from portal.downloads.requests import MISSING, Download
from portal.infra.metrics import count_missing_file
from portal.infra.storage import Storage

log = structlog.get_logger("portal.downloads")


def not_stored(download: Download) -> Download:
    """The request whose zip storage did not have. Past its time that is the sweep's doing (it deletes the
    file, then marks the request expired): expired, and nothing to report. Before, the file was lost."""
    lost = dataclasses.replace(download, file_missing=True)
    if lost.file_state == MISSING:
        log.warning("download.file_missing", download_request_id=download.id, key=zip_key(download.id))
        count_missing_file()
    return lost


async def checked(storage: Storage, download: Download) -> Download:
    """The request as its pages tell it: a ready one asks storage whether its zip is still there (one HEAD
    or stat). If storage does not answer, the page says what the database says rather than failing (the
    failure is counted by `Storage`, and /readyz tells it): the file's address tells the rest."""
    if download.file_state != DownloadState.ready:
        return download
    try:
        stored = await storage.exists(zip_key(download.id))
    except Exception:  # an outage of storage is no reason to refuse the page
        return download
    return download if stored else not_stored(download)


async def checked_all(storage: Storage, downloads: list[Download]) -> list[Download]:
    """`checked` for each request of a list, at once (only the ready ones ask storage)."""
    return list(await asyncio.gather(*(checked(storage, download) for download in downloads)))
