"""The development mailbox page lists what was sent, to a browser on this machine only, and does not exist
in production."""

import dataclasses

import pytest
from httpx import AsyncClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from portal.app import create_app
from portal.notifications import outbox
from portal.settings import Settings
from portal.templating import make_environment
from tests.conftest import browser, running


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
    app = create_app(_dev(settings))
    async with running(app), browser(app, "127.0.0.1") as client:
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


async def _a_stored_email(settings: Settings) -> int:
    return await outbox.store_email(
        make_environment(settings),
        dedupe_key="t",
        template="test",
        to_address="luis@example.com",
        context={"base_url": "http://127.0.0.1:8000/password/reset?token=abc"},
    )


@pytest.mark.parametrize("ip", ["127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1"])
async def test_a_browser_on_this_machine_reads_the_mailbox(db: None, settings: Settings, ip: str) -> None:
    email_id = await _a_stored_email(settings)
    app = create_app(_dev(settings))
    async with running(app), browser(app, ip) as here:
        assert (await here.get("/dev/mailbox")).status_code == 200
        assert (await here.get(f"/dev/mailbox/{email_id}")).status_code == 200


@pytest.mark.parametrize("ip", ["203.0.113.10", "192.168.1.20", "::ffff:203.0.113.10", "2001:db8::1"])
async def test_a_browser_elsewhere_finds_no_mailbox(db: None, settings: Settings, ip: str) -> None:
    email_id = await _a_stored_email(settings)
    app = create_app(_dev(settings))
    async with running(app), browser(app, ip) as elsewhere:
        for path in ("/dev/mailbox", "/dev/mailbox/", f"/dev/mailbox/{email_id}"):
            page = await elsewhere.get(path)
            assert page.status_code == 404, path
            assert "Page not found" in page.text  # the 404 page of any unknown address
            assert "token=abc" not in page.text


async def test_a_browser_behind_a_proxy_on_this_machine_finds_no_mailbox(
    db: None, settings: Settings
) -> None:
    """The proxy connects from loopback; uvicorn, trusting it (FORWARDED_ALLOW_IPS' default), gives the app
    the address its X-Forwarded-For names: the browser's, elsewhere."""
    email_id = await _a_stored_email(settings)
    app = create_app(_dev(settings))
    proxied = ProxyHeadersMiddleware(app, trusted_hosts=settings.web.forwarded_allow_ips)
    async with running(app), browser(proxied, "127.0.0.1") as proxy:
        for path in ("/dev/mailbox", f"/dev/mailbox/{email_id}"):
            assert (await proxy.get(path, headers={"X-Forwarded-For": "198.51.100.7"})).status_code == 404
        # What the proxy itself asks, for a browser on this machine, is answered.
        assert (await proxy.get("/dev/mailbox", headers={"X-Forwarded-For": "127.0.0.1"})).status_code == 200
