"""Email tasks: deliver one outbox message; sweep messages left unsent."""

from __future__ import annotations

from typing import Any

from portal.notifications import outbox


async def send_email(ctx: dict[str, Any], *, email_id: int) -> str:
    return await outbox.deliver(ctx["settings"], ctx["mail_transport"], email_id)


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    return await outbox.sweep_unsent(ctx["queue"])
