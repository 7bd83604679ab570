"""Bill tasks: render and store one bill's PDF."""

from __future__ import annotations

from typing import Any

from portal.bills import pdf


async def bill_pdf(ctx: dict[str, Any], *, bill_id: int) -> str:
    return await pdf.render(bill_id, ctx["settings"].issuer, ctx["storage"])
