"""Massive bills download tasks: build a request's zip, render a batch of its missing PDFs; the minute sweep
(expiry, lost or dead jobs)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment

from portal.downloads import archive, services
from portal.templating import make_environment, with_timezone


@cache
def _templates(timezone: str) -> Environment:
    return with_timezone(make_environment(), timezone)


async def build_download(ctx: dict[str, Any], *, request_id: int) -> str:
    return await archive.run_job(
        request_id,
        ctx["settings"],
        ctx["storage"],
        ctx["queue"],
        _templates(ctx["settings"].locale.timezone),
        ctx.get("job"),
    )


async def render_download_pdfs(ctx: dict[str, Any], *, bill_ids: list[int]) -> str:
    return await archive.render_pdfs(bill_ids, ctx["settings"], ctx["storage"])


async def sweep_downloads(ctx: dict[str, Any]) -> dict[str, int]:
    return await services.sweep(ctx["settings"], ctx["storage"], ctx["queue"])
