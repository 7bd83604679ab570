"""Bills-due document tasks: render and store one document's PDF."""

from __future__ import annotations

from typing import Any

from portal import i18n
from portal.payment_documents import pdf


async def document_pdf(ctx: dict[str, Any], *, document_id: int, language: str | None = None) -> str:
    # Jobs queued before PDFs had a language are in the default one.
    language = language or i18n.default_language()
    return await pdf.render(document_id, ctx["settings"].issuer, ctx["storage"], language)
