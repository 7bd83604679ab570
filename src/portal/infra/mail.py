"""How an email leaves the portal: SMTP (aiosmtplib) or, in development, the local mailbox page."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from portal.settings import Settings, is_loopback


class MailTransport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class DevMailbox:
    """Sends nothing: the message stays in the outbox table, which /dev/mailbox lists."""

    async def send(self, message: EmailMessage) -> None:
        return None


class SmtpTransport:
    def __init__(self, url: str, *, require_tls: bool = False) -> None:
        parts = urlsplit(url)  # checked by Settings: smtp(s)://, a host, a numeric port
        assert parts.hostname is not None
        self.hostname = parts.hostname
        self.implicit_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        # smtps:// is TLS from the first byte. smtp:// upgrades with STARTTLS: always, or the send fails
        # (`require_tls`), or else (None) whenever the server offers it, which anyone on the path can hide.
        self.start_tls: bool | None = False if self.implicit_tls else (True if require_tls else None)

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.implicit_tls,
            start_tls=self.start_tls,
            timeout=30,
        )


def make_transport(settings: Settings) -> MailTransport:
    if settings.mail.is_dev_mailbox:
        return DevMailbox()
    # In production the SMTP password and the activation and reset links never cross a network in clear;
    # a relay on this machine (loopback) is on no network.
    relay_here = is_loopback(urlsplit(settings.mail.url).hostname)
    return SmtpTransport(settings.mail.url, require_tls=settings.is_production and not relay_here)
