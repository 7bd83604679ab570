"""Paying a bill or a bills-due document by card, through the Redsys redirect protocol.

The journey: a code typed by the payer (`lookup`) finds a bill or document → a draft, addressed by a random
key and bound to the browser (the payer cookie) or the signed-in user → "Start payment" opens one payment
(one gateway order) → the browser goes to the gateway with `gateway_form` → the gateway's notification
(`notification`) decides the payment.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import structlog
from asyncpg.exceptions import UniqueViolationError

from portal import clock, i18n
from portal.db import engine as db_engine
from portal.db import execute, fetch, fetch_one
from portal.db.tables import Payment, PaymentDraft
from portal.db.tables.payments import PaymentKind, PaymentState
from portal.payments import redsys
from portal.payments.forms import Errors
from portal.payments.lookup import Target, load_target, state_problem
from portal.payments.views import PaymentView, browser_hash
from portal.settings import Settings
from portal.viewer import Viewer

log = structlog.get_logger("portal.payments")

DRAFT_LIFETIME = dt.timedelta(hours=2)
REUSE_WINDOW = dt.timedelta(minutes=20)
"""An open payment is reused (double click, two tabs, back button) for this long; afterwards, or from
another browser, it is abandoned and a new order opened, because a gateway refuses an order id twice."""
# DS_MERCHANT_CONSUMERLANGUAGE: the bank's pages in the payer's language (Redsys numbers them); a
# language Redsys is not told of gets its English.
GATEWAY_LANGUAGES = {"es": "001", "en": "002"}


def new_browser_token() -> str:
    return secrets.token_urlsafe(32)


# --- drafts -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    id: int
    key: str
    kind: str
    target_id: int
    email: str
    payment_id: int | None


async def create_draft(
    target: Target, browser_token: str, viewer: Viewer | None, now: dt.datetime | None = None
) -> str:
    now = now or clock.now()
    key = secrets.token_urlsafe(16)
    await PaymentDraft.insert(
        PaymentDraft(
            key=key,
            browser_hash=browser_hash(browser_token),
            user=viewer.user_id if viewer else None,
            kind=target.kind,
            bill=target.id if target.kind == PaymentKind.bill else None,
            document=target.id if target.kind == PaymentKind.document else None,
            email=viewer.email if viewer else "",
            created_at=now,
            expires_at=now + DRAFT_LIFETIME,
        )
    )
    return key


async def get_draft(key: str, browser_token: str | None, viewer: Viewer | None) -> Draft | None:
    """The draft, if this browser or this signed-in user made it and it has not expired."""
    if not key or len(key) > 40:
        return None
    rows = await fetch(
        "SELECT id, key, kind, bill, document, email, payment FROM payment_draft WHERE key = {}"
        ' AND expires_at > {} AND (browser_hash = {} OR "user" = {})',
        key,
        clock.now(),
        browser_hash(browser_token) or "-",
        viewer.user_id if viewer else -1,
    )
    if not rows:
        return None
    row = rows[0]
    return Draft(
        id=row["id"],
        key=row["key"],
        kind=row["kind"],
        target_id=row["bill"] if row["kind"] == PaymentKind.bill else row["document"],
        email=row["email"],
        payment_id=row["payment"],
    )


async def purge_drafts() -> None:
    await PaymentDraft.delete().where(PaymentDraft.expires_at < clock.now())


# --- starting a payment ------------------------------------------------------------------------------------


_TARGET_COLUMN = {PaymentKind.bill: "bill", PaymentKind.document: "document"}
_TARGET_TABLE = {PaymentKind.bill: "bill", PaymentKind.document: "payment_document"}


async def start_payment(
    draft: Draft,
    email: str,
    browser_token: str,
    viewer: Viewer | None,
    settings: Settings,
    now: dt.datetime | None = None,
) -> tuple[str | None, Errors]:
    """Open the payment for the draft's bill or document, or reuse the one this browser opened moments
    ago, and return its order id. The amount is the bill's or document's, read now."""
    now = now or clock.now()
    for _ in range(3):
        try:
            return await _start_payment(draft, email, browser_token, viewer, settings, now)
        except UniqueViolationError:
            # Another request opened one at the same instant: take that one. Or the random order id was
            # one the database holds (`redsys.new_order_id`): draw another.
            continue
    raise RuntimeError("could not open a payment")  # pragma: no cover - needs three races in a row


async def lock_target(kind: str, target_id: int) -> None:
    """Lock the bill (or document) a payment is for, until the caller's transaction ends. Whatever changes
    a payment takes this lock first and the payment's row after it (starting one, applying the bank's
    notification), so that two of them never wait for each other in a cycle."""
    table = _TARGET_TABLE[PaymentKind(kind)]
    await execute(f"SELECT id FROM {table} WHERE id = {{}} FOR UPDATE", target_id)  # noqa: S608


async def _start_payment(
    draft: Draft, email: str, browser_token: str, viewer: Viewer | None, settings: Settings, now: dt.datetime
) -> tuple[str | None, Errors]:
    column = _TARGET_COLUMN[PaymentKind(draft.kind)]
    hashed = browser_hash(browser_token)
    async with db_engine().transaction():
        # The bill (or document) row is the lock that serialises every start for it.
        await lock_target(draft.kind, draft.target_id)
        target = await load_target(draft.kind, draft.target_id, settings, clock.day_of(now))
        if problem := state_problem(target):
            return None, {"": problem}
        current = await fetch_one(
            f'SELECT id, order_id, browser_hash, "user", created_at, amount_cents FROM payment'  # noqa: S608
            f" WHERE {column} = {{}} AND state = 'open' FOR UPDATE",
            target.id,
        )
        # Only this browser's own order is reused (a double submit, a second tab): the bank's return comes
        # back to the browser that went there, which must see the result even once it is signed out, so
        # the same user in another browser gets an order of its own.
        if (
            current is not None
            and hashed
            and current["browser_hash"] == hashed
            and current["created_at"] > now - REUSE_WINDOW
            and current["amount_cents"] == target.amount_cents
        ):
            payment_id, order_id = current["id"], current["order_id"]
            await Payment.update(
                {Payment.email: email, Payment.draft: draft.id, Payment.updated_at: now}
            ).where(Payment.id == payment_id)
            log.info("payment.reused", order=order_id)
        else:
            if current is not None:
                await Payment.update({Payment.state: PaymentState.abandoned, Payment.updated_at: now}).where(
                    Payment.id == current["id"]
                )
                log.info("payment.abandoned", order=current["order_id"])
            serial = await fetch("SELECT nextval(pg_get_serial_sequence('payment', 'id')) AS id")
            payment_id = int(serial[0]["id"])
            order_id = redsys.new_order_id()
            await execute(
                "INSERT INTO payment (id, order_id, kind, bill, document, account, reference, amount_cents,"
                ' email, "user", browser_hash, draft, state, response_code, authorisation_code, card_masked,'
                " needs_refund, created_at, updated_at, notified_at, language)"
                " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'open', NULL, '', '', false,"
                " {}, {}, NULL, {})",
                payment_id,
                order_id,
                target.kind.value if isinstance(target.kind, PaymentKind) else target.kind,
                target.id if target.kind == PaymentKind.bill else None,
                target.id if target.kind == PaymentKind.document else None,
                target.account_id,
                target.reference,
                target.amount_cents,
                email,
                viewer.user_id if viewer else None,
                hashed,
                draft.id,
                now,
                now,
                i18n.current(),
            )
            log.info(
                "payment.opened", order=order_id, kind=str(target.kind), amount_cents=target.amount_cents
            )
        await PaymentDraft.update({PaymentDraft.payment: payment_id, PaymentDraft.email: email}).where(
            PaymentDraft.id == draft.id
        )
    return order_id, {}


# --- one payment, as its pages show it -----------------------------------------------------------------


async def payable_problem(payment: PaymentView, settings: Settings) -> str | None:
    """Why the payer must not go to the bank for this payment now (its bill was paid meanwhile…)."""
    target_id = payment.bill_id if payment.kind == PaymentKind.bill else payment.document_id
    assert target_id is not None
    return state_problem(await load_target(payment.kind, target_id, settings))


def gateway_form(payment: PaymentView, settings: Settings) -> dict[str, str]:
    """The three signed fields the browser posts to the gateway."""
    base = settings.web.base_url
    request = redsys.PaymentRequest(
        amount_cents=payment.amount_cents,
        order=payment.order_id,
        merchant_code=settings.gateway.merchant_code,
        terminal=settings.gateway.terminal,
        merchant_url=f"{base}/payments/notification",
        url_ok=f"{base}/payments/{payment.order_id}",
        url_ko=f"{base}/payments/{payment.order_id}",
        description=payment.description,
        language=GATEWAY_LANGUAGES.get(payment.language, GATEWAY_LANGUAGES["en"]),
    )
    return request.to_form(settings.gateway.secret)
