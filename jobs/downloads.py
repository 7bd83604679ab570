"""Massive bills download tasks: build a request's zip, render a batch of its missing PDFs; the minute sweep
(expiry, lost or dead jobs)."""

from __future__ import annotations

from typing import Any

from portal import i18n
from portal.downloads import archive, sweep
from portal.infra.queue import beating


async def build_download(ctx: dict[str, Any], *, request_id: int) -> str:
    return await archive.run_job(
        request_id, ctx["settings"], ctx["storage"], ctx["queue"], ctx["templates"], ctx.get("job")
    )


async def render_download_pdfs(
    ctx: dict[str, Any], *, bill_ids: list[int], language: str | None = None
) -> str:
    # Jobs queued before PDFs had a language are in the default one.
    async with beating(ctx.get("job"), every=archive.RENDER_BEAT):  # also while it waits for the render slot
        return await archive.render_pdfs(
            bill_ids, ctx["settings"], ctx["storage"], language or i18n.default_language()
        )


async def sweep_downloads(ctx: dict[str, Any]) -> dict[str, int]:
    return await sweep.sweep(ctx["settings"], ctx["storage"], ctx["queue"])
