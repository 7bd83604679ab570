"""Which transport the settings give, and whether it may send in clear."""

import dataclasses

import pytest

from portal.infra.mail import DevMailbox, SmtpTransport, make_transport
from portal.settings import Settings


def _settings(environment: str, mail_url: str) -> Settings:
    base = Settings.from_env()
    return dataclasses.replace(
        base, environment=environment, mail=dataclasses.replace(base.mail, url=mail_url)
    )


@pytest.mark.parametrize(
    ("environment", "url", "start_tls"),
    [
        # Production over a network: STARTTLS or no send at all, so that no one on the path can strip it.
        ("production", "smtp://user:pw@mail.example.com:587", True),
        ("production", "smtp://user:pw@192.0.2.25:25", True),
        # A relay on this machine is on no path; smtps:// is TLS from the start.
        ("production", "smtp://127.0.0.1:25", None),
        ("production", "smtp://localhost:25", None),
        ("production", "smtp://[::1]:25", None),
        ("production", "smtps://user:pw@mail.example.com:465", False),
        # Elsewhere, a server that offers no STARTTLS (a developer's capture) is still used.
        ("development", "smtp://mail.example.com:587", None),
        ("test", "smtp://mail.example.com:587", None),
    ],
)
def test_starttls_is_required_in_production_unless_the_relay_is_here(
    environment: str, url: str, start_tls: bool | None
) -> None:
    transport = make_transport(_settings(environment, url))
    assert isinstance(transport, SmtpTransport)
    assert transport.start_tls is start_tls


def test_the_development_mailbox_sends_nothing() -> None:
    assert isinstance(make_transport(_settings("development", "dev:")), DevMailbox)
