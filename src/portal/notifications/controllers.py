"""The development mailbox: what the portal "sent" when MAIL_URL=dev:. Never mounted in production."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath
from litestar.response import Template

from portal.notifications.outbox import get_email, recent_emails
from portal.settings import is_loopback


async def from_this_machine(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The mailbox shows every activation, reset and email-change link: a browser elsewhere (one behind a
    proxy too, as its X-Forwarded-For tells, FORWARDED_ALLOW_IPS) finds nothing here, as at any unknown
    address. Async although it never awaits: Litestar would run a sync guard in a worker thread."""
    if connection.client is None or not is_loopback(connection.client.host):
        raise NotFoundException()


class DevMailboxController(Controller):
    path = "/dev/mailbox"
    guards = [from_this_machine]  # noqa: RUF012 (Litestar's own class attribute)

    @get("/", name="dev_mailbox")
    async def mailbox(self) -> Template:
        return Template(template_name="pages/dev/mailbox.html", context={"emails": await recent_emails()})

    @get("/{email_id:int}", name="dev_mailbox_message")
    async def message(self, email_id: FromPath[int]) -> Template:
        email = await get_email(email_id)
        if email is None:
            raise NotFoundException()
        return Template(template_name="pages/dev/message.html", context={"email": email})
