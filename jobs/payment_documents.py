"""Bills-due document tasks: render and store one document's PDF."""

from __future__ import annotations

from typing import Any

from portal.payment_documents import pdf


async def document_pdf(ctx: dict[str, Any], *, document_id: int) -> str:
    return await pdf.render(document_id, ctx["settings"].issuer, ctx["storage"])
