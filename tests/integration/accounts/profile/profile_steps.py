"""Shared steps and readers for the "Personal details" tests: signing in as a demo user, reading the
emails the outbox stored (what the worker would send), and the live sessions of a user."""

from __future__ import annotations

import re
from typing import Any

from portal.db.tables import OutboxEmail
from tests.integration.accounts.helpers import SESSION_COOKIE, submit_sign_in

__all__ = ["ANA_EMAIL", "NEW_PASSWORD", "confirm_link", "emails", "notification_text", "signed_in"]

ANA_EMAIL = "ana.demo@example.com"
NEW_PASSWORD = "lighthouse marmalade tangent 9"


async def signed_in(client: Any, login: str, password: str) -> str:
    """Sign the client in; returns its session cookie."""
    response = await submit_sign_in(client, login, password)
    assert response.status_code == 303, response.text
    return str(client.cookies[SESSION_COOKIE])


async def emails(template: str | None = None) -> list[dict[str, Any]]:
    """The stored emails (of one template, or all), oldest first."""
    query = OutboxEmail.select().order_by(OutboxEmail.id)
    if template is not None:
        query = query.where(OutboxEmail.template == template)
    return list(await query)


def confirm_link(body: str) -> str:
    match = re.search(r"http://\S+(/account/email/confirm\?token=\S+)", body)
    assert match is not None, body
    return match.group(1)


def notification_text(page: str) -> str:
    match = re.search(r'<p class="notification-banner__heading">(.*?)</p>', page, re.S)
    return match.group(1).strip() if match else ""
