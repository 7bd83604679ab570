"""Payment tasks: render and store one payment's receipt PDF; purge expired payment drafts."""

from __future__ import annotations

from typing import Any

from portal.payments import checkout, pdf


async def receipt_pdf(ctx: dict[str, Any], *, order_id: str, language: str | None = None) -> str:
    """In `language`; without one (when it is paid), in the payer's."""
    settings = ctx["settings"]
    return await pdf.render(order_id, settings.issuer, ctx["storage"], settings.locale.timezone, language)


async def purge_payment_drafts(ctx: dict[str, Any]) -> None:
    await checkout.purge_drafts()
