"""Hourly clean-up of state that has expired: sessions, registration and payment-document drafts,
throttle attempts, and gateway notifications that named no payment (after 30 days)."""

from __future__ import annotations

from typing import Any

from portal.accounts.services import purge_drafts
from portal.payment_documents.services import purge_drafts as purge_document_drafts
from portal.payments.notification import purge_unapplied as purge_unapplied_notifications
from portal.web.sessions import purge_sessions
from portal.web.throttle import purge_attempts


async def purge_expired(ctx: dict[str, Any]) -> None:
    await purge_sessions()
    await purge_drafts()
    await purge_attempts()
    await purge_document_drafts()
    await purge_unapplied_notifications()
