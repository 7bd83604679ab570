"""The development mailbox page lists what was sent, and does not exist in production."""

import dataclasses

from httpx import AsyncClient

from portal.app import create_app
from portal.notifications import outbox
from portal.settings import Settings
from portal.templating import make_environment
from tests.conftest import running


def _dev(settings: Settings) -> Settings:
    return dataclasses.replace(settings, mail=dataclasses.replace(settings.mail, url="dev:"))


async def test_mailbox_lists_messages_and_shows_one(db: None, settings: Settings) -> None:
    email_id = await outbox.store_email(
        make_environment(settings),
        dedupe_key="t",
        template="test",
        to_address="luis@example.com",
        context={"base_url": "http://127.0.0.1:8000/activate?token=abc"},
    )
    async with running(create_app(_dev(settings))) as client:
        listing = await client.get("/dev/mailbox")
        assert listing.status_code == 200
        assert "luis@example.com" in listing.text
        assert f'href="/dev/mailbox/{email_id}"' in listing.text
        message = await client.get(f"/dev/mailbox/{email_id}")
        assert message.status_code == 200
        assert '<a href="http://127.0.0.1:8000/activate?token=abc" rel="noopener">' in message.text
        assert (await client.get(f"/dev/mailbox/{email_id + 1}")).status_code == 404


async def test_mailbox_is_absent_with_a_real_smtp_server(client: AsyncClient) -> None:
    assert (await client.get("/dev/mailbox")).status_code == 404
