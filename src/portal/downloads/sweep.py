"""The periodic sweep of download requests (a cron job every 15 seconds)."""

from __future__ import annotations

import datetime as dt

from saq import Queue
from saq.job import Status

from portal import clock
from portal.db import execute, fetch
from portal.db.tables.downloads import DownloadState
from portal.downloads.archive import enqueue_zip, job_key, mark_failed, zip_key
from portal.infra.storage import Storage
from portal.settings import Settings

DRAFT_LIFETIME = dt.timedelta(days=1)
QUEUED_GRACE = dt.timedelta(seconds=10)
"""A queued request without a job this long after its last change lost its enqueue (the queue did not
answer at Confirm): queued again within a sweep of this, so well within a minute of the queue's return."""


async def sweep(settings: Settings, storage: Storage, queue: Queue) -> dict[str, int]:
    """Every 15 s: delete the files of expired requests (then say so), re-enqueue queued requests whose
    job went missing, fail requests whose job ended without finishing them, forget stale drafts."""
    counts = {"expired": 0, "requeued": 0, "failed": 0, "drafts": 0}
    now = clock.now()
    due = await fetch(
        "SELECT id FROM download_request WHERE state = 'ready' AND expires_at < {} ORDER BY id LIMIT 500", now
    )
    for row in due:
        await storage.delete(zip_key(row["id"]))  # the file first: never a dangling "ready"
        await execute(
            "UPDATE download_request SET state = 'expired', updated_at = {}"
            " WHERE id = {} AND state = 'ready'",
            now,
            row["id"],
        )
        counts["expired"] += 1
    quiet = dt.timedelta(seconds=max(60, settings.downloads.heartbeat_seconds * 2))
    stalled = await fetch(
        "SELECT id, state FROM download_request WHERE (state = 'queued' AND updated_at < {})"
        " OR (state = 'preparing' AND updated_at < {}) ORDER BY id LIMIT 500",
        now - QUEUED_GRACE,
        now - quiet,
    )
    for row in stalled:
        job = await queue.job(job_key(row["id"]))
        alive = job is not None and job.status in {Status.NEW, Status.QUEUED, Status.ACTIVE, Status.ABORTING}
        if alive:
            continue
        if row["state"] == DownloadState.queued:
            await enqueue_zip(queue, settings.downloads, row["id"])
            counts["requeued"] += 1
        else:
            await mark_failed(row["id"], "The preparation stopped before the file was complete")
            counts["failed"] += 1
    deleted = await fetch(
        "DELETE FROM download_request WHERE state = 'draft' AND updated_at < {} RETURNING id",
        now - DRAFT_LIFETIME,
    )
    counts["drafts"] = len(deleted)
    return counts
