"""The development mailbox: what the portal "sent" when MAIL_URL=dev:. Never mounted in production."""

from __future__ import annotations

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from portal.notifications.outbox import get_email, recent_emails


class DevMailboxController(Controller):
    path = "/dev/mailbox"

    @get("/", name="dev_mailbox")
    async def mailbox(self) -> Template:
        return Template(template_name="pages/dev/mailbox.html", context={"emails": await recent_emails()})

    @get("/{email_id:int}", name="dev_mailbox_message")
    async def message(self, email_id: FromPath[int]) -> Template:
        email = await get_email(email_id)
        if email is None:
            raise NotFoundException()
        return Template(template_name="pages/dev/message.html", context={"email": email})
