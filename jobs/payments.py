"""Payment tasks: render and store one payment's receipt PDF; purge expired payment drafts."""

from __future__ import annotations

from typing import Any

from portal.payments import services


async def render_receipt_pdf(ctx: dict[str, Any], *, order_id: str) -> str:
    return await services.render_receipt_pdf(order_id, ctx["settings"], ctx["storage"])


async def purge_payment_drafts(ctx: dict[str, Any]) -> None:
    await services.purge_drafts()
