"""The email outbox service: `queue_email` stores and enqueues, `deliver` sends exactly one message.

A message is stored under a dedupe key, so asking twice stores it once; the job locks the row while it
sends and marks it sent, so a retried or duplicated job does not send again; a periodic sweep
re-enqueues anything left unsent (e.g. the enqueue was lost after the row was committed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any

import structlog
from jinja2 import Environment
from saq import Queue

from portal import clock, i18n
from portal.db import execute, fetch
from portal.db.tables import OutboxEmail
from portal.infra.mail import MailTransport
from portal.infra.queue import QueueUnavailable, Task
from portal.settings import Settings

log = structlog.get_logger("portal.mail")

SEND_EMAIL = Task(name="send_email", timeout=60, retries=8, retry_delay=5.0, retry_backoff=True, heartbeat=0)


@dataclass(frozen=True)
class StoredEmail:
    id: int
    template: str
    to_address: str
    subject: str
    body_text: str
    body_html: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


def render_email(env: Environment, template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML from templates/email/<template>/{subject.txt, body.txt, body.html}."""
    subject = env.get_template(f"email/{template}/subject.txt").render(context).strip()
    text = env.get_template(f"email/{template}/body.txt").render(context)
    html = env.get_template(f"email/{template}/body.html").render(context)
    return " ".join(subject.split()), text, html


async def store_email(
    env: Environment,
    *,
    dedupe_key: str,
    template: str,
    to_address: str,
    context: dict[str, Any],
    language: str | None = None,
) -> int:
    """Store the message (once per dedupe key) and return its id. Call it inside the transaction of the
    change that causes the email, then `enqueue_email` after the commit. It is written in the recipient's
    language: `language` if the caller knows it, else the one chosen by the user of that address, else
    the current one (a request's: the language the visitor sees the portal in)."""
    language = language or await _language_of(to_address) or i18n.current()
    with i18n.speaking(language):
        subject, text, html = render_email(env, template, context)
    rows = await fetch(
        "INSERT INTO outbox_email (dedupe_key, template, to_address, subject, body_text, body_html,"
        " created_at, attempts, last_error) VALUES ({}, {}, {}, {}, {}, {}, {}, 0, '')"
        " ON CONFLICT (dedupe_key) DO UPDATE SET dedupe_key = EXCLUDED.dedupe_key RETURNING id",
        dedupe_key,
        template,
        to_address,
        subject,
        text,
        html,
        clock.now(),
    )
    return int(rows[0]["id"])


async def store_email_to_user(
    env: Environment, user: Mapping[str, Any], *, dedupe_key: str, template: str, context: dict[str, Any]
) -> int:
    """`store_email` to a user whose row the caller has just read (its `email`, `language` and `username`
    columns): to that address, in that language, with the username in the context for the greeting."""
    return await store_email(
        env,
        dedupe_key=dedupe_key,
        template=template,
        to_address=user["email"],
        language=user["language"],
        context={"username": user["username"], **context},
    )


async def _language_of(address: str) -> str | None:
    rows = await fetch("SELECT language FROM portal_user WHERE email = {}", address.lower())
    return rows[0]["language"] if rows else None


async def enqueue_email(queue: Queue, email_id: int) -> None:
    """Queue the sending of a stored message. If the queue does not answer, the message waits in the
    outbox (the step that stored it has gone through) and the sweep queues it once the queue answers."""
    try:
        await SEND_EMAIL.enqueue(queue, key=f"email:{email_id}", email_id=email_id)
    except QueueUnavailable:
        log.warning("mail.enqueue_postponed", email_id=email_id)


async def queue_email(
    env: Environment,
    queue: Queue,
    *,
    dedupe_key: str,
    template: str,
    to_address: str,
    context: dict[str, Any],
) -> int:
    email_id = await store_email(
        env, dedupe_key=dedupe_key, template=template, to_address=to_address, context=context
    )
    await enqueue_email(queue, email_id)
    return email_id


def build_message(settings: Settings, email: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail.sender
    message["To"] = formataddr(parseaddr(email["to_address"]))
    message["Subject"] = email["subject"]
    # A stable Message-ID: if a crash makes us send twice, mail clients show one message.
    domain = parseaddr(settings.mail.sender)[1].rpartition("@")[2] or "portal.invalid"
    message["Message-ID"] = f"<outbox-{email['id']}@{domain}>"
    message.set_content(email["body_text"])
    message.add_alternative(email["body_html"], subtype="html")
    return message


async def deliver(settings: Settings, transport: MailTransport, email_id: int) -> str:
    """Send one stored message unless it was sent already. The row stays locked while it is sent, so a
    second job for the same message waits and then finds it sent."""
    try:
        async with OutboxEmail._meta.db.transaction():
            rows = await fetch("SELECT * FROM outbox_email WHERE id = {} FOR UPDATE", email_id)
            if not rows:
                log.warning("mail.unknown_message", email_id=email_id)
                return "unknown"
            email = rows[0]
            if email["sent_at"] is not None:
                return "already sent"
            await transport.send(build_message(settings, email))
            await execute(
                "UPDATE outbox_email SET sent_at = {}, attempts = attempts + 1 WHERE id = {}",
                clock.now(),
                email_id,
            )
    except Exception as exc:
        # The transaction rolled back; record the failure on its own, then let SAQ retry with backoff.
        await execute(
            "UPDATE outbox_email SET attempts = attempts + 1, last_error = {} WHERE id = {}",
            f"{type(exc).__name__}: {exc}"[:500],
            email_id,
        )
        log.warning("mail.send_failed", email_id=email_id, error=type(exc).__name__)
        raise
    log.info("mail.sent", email_id=email_id, template=email["template"])
    return "sent"


async def sweep_unsent(queue: Queue, *, older_than: dt.timedelta = dt.timedelta(minutes=1)) -> int:
    """Enqueue every message left unsent; the job key makes a message already queued count once."""
    rows = await fetch(
        "SELECT id FROM outbox_email WHERE sent_at IS NULL AND created_at < {} ORDER BY created_at LIMIT 500",
        clock.now() - older_than,
    )
    for row in rows:
        await enqueue_email(queue, row["id"])
    return len(rows)


_COLUMNS = (
    OutboxEmail.id,
    OutboxEmail.template,
    OutboxEmail.to_address,
    OutboxEmail.subject,
    OutboxEmail.body_text,
    OutboxEmail.body_html,
    OutboxEmail.created_at,
    OutboxEmail.sent_at,
)


async def recent_emails(limit: int = 50) -> list[StoredEmail]:
    rows = await OutboxEmail.select(*_COLUMNS).order_by(OutboxEmail.id, ascending=False).limit(limit)
    return [StoredEmail(**row) for row in rows]


async def get_email(email_id: int) -> StoredEmail | None:
    row = await OutboxEmail.select(*_COLUMNS).where(OutboxEmail.id == email_id).first()
    return StoredEmail(**row) if row else None
