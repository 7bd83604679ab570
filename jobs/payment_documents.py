"""Bills-due document tasks: render and store one document's PDF."""

from __future__ import annotations

from typing import Any

from portal.payment_documents import files


async def render_document_pdf(ctx: dict[str, Any], *, document_id: int) -> str:
    return await files.render_pdf(document_id, ctx["settings"].issuer, ctx["storage"])
