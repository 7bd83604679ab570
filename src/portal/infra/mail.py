"""How an email leaves the portal: SMTP (aiosmtplib) or, in development, the local mailbox page."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from portal.settings import MailSettings


class MailTransport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class DevMailbox:
    """Sends nothing: the message stays in the outbox table, which /dev/mailbox lists."""

    async def send(self, message: EmailMessage) -> None:
        return None


class SmtpTransport:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)  # checked by Settings: smtp(s)://, a host, a numeric port
        assert parts.hostname is not None
        self.hostname = parts.hostname
        self.implicit_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    async def send(self, message: EmailMessage) -> None:
        # start_tls=None: upgrade with STARTTLS whenever the server offers it.
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.implicit_tls,
            start_tls=None if not self.implicit_tls else False,
            timeout=30,
        )


def make_transport(settings: MailSettings) -> MailTransport:
    return DevMailbox() if settings.is_dev_mailbox else SmtpTransport(settings.url)
