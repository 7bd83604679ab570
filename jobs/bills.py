"""Bill tasks: render and store one bill's PDF."""

from __future__ import annotations

from typing import Any

from portal import i18n
from portal.bills import pdf


async def bill_pdf(ctx: dict[str, Any], *, bill_id: int, language: str | None = None) -> str:
    # Jobs queued before PDFs had a language are in the default one.
    return await pdf.render(
        bill_id, ctx["settings"].issuer, ctx["storage"], language or i18n.default_language()
    )
