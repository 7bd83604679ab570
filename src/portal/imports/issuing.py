"""Issuing the bills an import run added: their PDFs rendered by the job workers, and "new bill" emails.

Runs after the run's batches committed, so the workers find the bills. Both steps are safe to repeat:
render jobs have the massive download's keys (a PDF already stored is never rendered again: a bill's
bytes must not change) and each email has a dedupe key.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from jinja2 import Environment
from saq import Queue

from portal import i18n
from portal.downloads.archive import RENDER_BATCH, enqueue_render_batch
from portal.notifications import outbox

_PAGE = 1000


@dataclass(frozen=True)
class Issued:
    render_jobs: int
    emails: int


async def queue_renders(connection: asyncpg.Connection, run_id: int, queue: Queue) -> int:
    """One render job per RENDER_BATCH consecutive bills of the run, as the massive download queues them,
    so every worker process takes part (and a later download finds the jobs, or their PDFs)."""
    jobs, after = 0, 0
    while ids := [
        row[0]
        for row in await connection.fetch(
            "SELECT id FROM bill WHERE import_run = $1 AND id > $2 ORDER BY id LIMIT $3", run_id, after, _PAGE
        )
    ]:
        for start in range(0, len(ids), RENDER_BATCH):
            # Issuing prints the default language; the others are printed when they are asked for.
            await enqueue_render_batch(queue, ids[start : start + RENDER_BATCH], i18n.default_language())
            jobs += 1
        after = ids[-1]
    return jobs


_RECIPIENTS = (
    'SELECT x."user" AS user_id, u.username, u.email, u.language, a.id AS account_id, a.number,'
    " a.supply_address, min(b.id) AS first_bill"
    " FROM bill b JOIN account a ON a.id = b.account JOIN account_access x ON x.account = a.id"
    ' JOIN portal_user u ON u.id = x."user"'
    " WHERE b.import_run = $1 AND a.online_bill AND u.activated_at IS NOT NULL"
    ' GROUP BY x."user", u.username, u.email, u.language, a.id ORDER BY a.id, x."user"'
)
_BILLS = (
    "SELECT number, period_start, period_end, due_date, total_cents, status FROM bill"
    " WHERE import_run = $1 AND account = $2 ORDER BY period_start, number"
)


async def store_emails(connection: asyncpg.Connection, run_id: int, env: Environment) -> list[int]:
    """One email per user and account with the online bill, listing the account's new bills.

    The dedupe key names the user and the account's first new bill: a bill is new in one run only, so a
    bill never reaches a user twice, even when the run's issuing is repeated."""
    email_ids = []
    for recipient in await connection.fetch(_RECIPIENTS, run_id):
        bills = await connection.fetch(_BILLS, run_id, recipient["account_id"])
        email_ids.append(
            await outbox.store_email_to_user(
                env,
                recipient,
                dedupe_key=f"new-bills:{recipient['user_id']}:{recipient['first_bill']}",
                template="new_bills",
                context={
                    "account_number": recipient["number"],
                    "supply_address": recipient["supply_address"],
                    "bills": [dict(bill) for bill in bills],
                },
            )
        )
    return email_ids


async def issue(
    connection: asyncpg.Connection, run_id: int, queue: Queue, env: Environment, *, render: bool
) -> Issued:
    jobs = await queue_renders(connection, run_id, queue) if render else 0
    email_ids = await store_emails(connection, run_id, env)
    for email_id in email_ids:
        await outbox.enqueue_email(queue, email_id)
    return Issued(jobs, len(email_ids))
