"""Email through the outbox, a real SAQ worker and a real SMTP server."""

import asyncio
import contextlib
import dataclasses
from typing import Any

import aiosmtplib
import pytest

from portal.db.tables import OutboxEmail
from portal.infra.mail import SmtpTransport
from portal.notifications import outbox
from portal.settings import Settings
from portal.templating import make_environment
from tests.conftest import all_mail_sent
from tests.processes import PrivateRedis

ENV = make_environment(Settings.from_env())
"""The templates as the web and the worker have them: the issuer and the base address are globals."""


async def _store(key: str = "test:1", to: str = "Ana Pérez <ana@example.com>") -> int:
    return await outbox.store_email(ENV, dedupe_key=key, template="test", to_address=to, context={})


async def test_queued_email_is_sent_by_the_worker_through_smtp(
    queue: Any, worker: Any, mailbox: Any, settings: Settings
) -> None:
    email_id = await outbox.queue_email(
        ENV,
        queue,
        dedupe_key="test:1",
        template="test",
        to_address="ana@example.com",
        context={},
    )
    [message] = await mailbox.wait_for(1)
    assert message["To"] == "ana@example.com"
    # The issuer comes from the settings, a global of every template: no email context passes it.
    assert message["Subject"] == f"Test message from the {settings.issuer.name} Customer Service Area"
    assert message["Message-ID"] == f"<outbox-{email_id}@aguas.example>"
    text, html = (part.get_payload(decode=True).decode() for part in message.get_payload())
    assert "check that email is delivered" in text
    assert '<a href="http://127.0.0.1:8000">' in html
    # The SMTP server has the message a moment before the worker's transaction marks it sent.
    assert await all_mail_sent() == 1
    row = await OutboxEmail.select().where(OutboxEmail.id == email_id).first()
    assert row["attempts"] == 1


async def test_the_same_dedupe_key_stores_one_message(db: None) -> None:
    first = await _store()
    second = await _store()
    assert first == second
    assert await OutboxEmail.count() == 1


async def test_delivering_twice_sends_once(db: None, mailbox: Any, settings: Settings) -> None:
    email_id = await _store()
    transport = SmtpTransport(settings.mail.url)
    results = await asyncio.gather(
        outbox.deliver(settings, transport, email_id), outbox.deliver(settings, transport, email_id)
    )
    assert sorted(results) == ["already sent", "sent"]
    # Both deliveries have returned, and the SMTP server keeps a message before it answers: nothing is late.
    assert len(mailbox.messages) == 1
    assert message_to(mailbox.messages[0]) == "Ana Pérez <ana@example.com>"


def message_to(message: Any) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["To"])))


async def test_a_failed_send_is_recorded_and_raised_for_a_retry(db: None, settings: Settings) -> None:
    email_id = await _store()
    unreachable = SmtpTransport("smtp://127.0.0.1:9")
    with pytest.raises(OSError):
        await outbox.deliver(settings, unreachable, email_id)
    row = await OutboxEmail.select().where(OutboxEmail.id == email_id).first()
    assert row["sent_at"] is None
    assert row["attempts"] == 1
    assert "127.0.0.1" in row["last_error"] or "Connect" in row["last_error"]


async def test_the_sweep_enqueues_only_old_unsent_messages(queue: Any, settings: Settings) -> None:
    old_unsent = await _store("test:old")
    await _store("test:new")
    sent = await _store("test:sent")
    await OutboxEmail.raw("UPDATE outbox_email SET created_at = now() - interval '5 minutes'")
    await OutboxEmail.raw("UPDATE outbox_email SET created_at = now() WHERE dedupe_key = 'test:new'")
    await OutboxEmail.raw("UPDATE outbox_email SET sent_at = now() WHERE id = {}", sent)
    assert await outbox.sweep_unsent(queue) == 1
    job = await queue.job(f"email:{old_unsent}")
    assert job is not None
    assert job.function == "send_email"
    assert job.kwargs == {"email_id": old_unsent}
    assert job.retries == outbox.SEND_EMAIL.retries
    assert job.timeout == outbox.SEND_EMAIL.timeout


async def test_dev_mailbox_sends_nothing_but_marks_sent(db: None, settings: Settings) -> None:
    from portal.infra.mail import make_transport

    dev = dataclasses.replace(settings, mail=dataclasses.replace(settings.mail, url="dev:"))
    email_id = await _store()
    assert await outbox.deliver(dev, make_transport(dev), email_id) == "sent"
    [stored] = await outbox.recent_emails()
    assert stored.id == email_id and stored.sent_at is not None


async def test_a_message_stored_while_the_queue_is_down_waits_in_the_outbox(
    db: None, settings: Settings, private_redis: PrivateRedis
) -> None:
    from portal.infra.queue import UNREACHABLE, make_queue

    queue = make_queue(
        dataclasses.replace(settings, queue=dataclasses.replace(settings.queue, url=private_redis.url))
    )
    private_redis.stop()
    try:
        # The step that sends it (a registration, a password reset…) goes through: no error here.
        email_id = await outbox.queue_email(
            ENV, queue, dedupe_key="test:outage", template="test", to_address="ana@example.com", context={}
        )
    finally:
        with contextlib.suppress(*UNREACHABLE):  # it cannot say goodbye to a server that is gone
            await queue.disconnect()
    row = await OutboxEmail.select().where(OutboxEmail.id == email_id).first()
    assert row["sent_at"] is None  # the sweep queues it once the queue answers


async def test_a_required_starttls_that_the_server_does_not_offer_fails_the_send(
    db: None, mailbox: Any, settings: Settings
) -> None:
    """The SMTP server of the tests offers no STARTTLS, as one an attacker stripped it from would not: the
    message is not sent in clear, and stays in the outbox with the reason."""
    email_id = await _store()
    transport = SmtpTransport(settings.mail.url, require_tls=True)
    with pytest.raises(aiosmtplib.SMTPException, match="STARTTLS"):
        await outbox.deliver(settings, transport, email_id)
    assert mailbox.messages == []
    row = await OutboxEmail.select().where(OutboxEmail.id == email_id).first()
    assert row["sent_at"] is None and row["attempts"] == 1
    assert "STARTTLS" in row["last_error"]
