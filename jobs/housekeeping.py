"""Hourly clean-up of state that has expired: sessions, registration drafts, throttle attempts."""

from __future__ import annotations

from typing import Any

from portal.accounts.services import purge_drafts
from portal.accounts.throttle import purge_attempts
from portal.web.sessions import purge_sessions


async def purge_expired(ctx: dict[str, Any]) -> None:
    await purge_sessions()
    await purge_drafts()
    await purge_attempts()
