"""Bill tasks: render and store one bill's PDF."""

from __future__ import annotations

from typing import Any

from portal.bills import files


async def render_bill_pdf(ctx: dict[str, Any], *, bill_id: int) -> str:
    return await files.render_pdf(bill_id, ctx["settings"].issuer, ctx["storage"])
