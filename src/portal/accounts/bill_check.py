"""The bill check of registration and "Add an account": someone proves an account with the details printed
on one of its bills (the holder's document, the account number, the bill number and its amount), throttled,
with one message for any mismatch; and, where the account is then granted, the same bill read again in
that transaction, for a removal that committed in between (`access.remove_access`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from portal import audit
from portal.accounts import forms, throttle
from portal.accounts.forms import BillDetails, BillDetailsForm, Errors
from portal.audit import Origin
from portal.db import execute, fetch_one
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.templating import format_day
from portal.web.throttle import count_attempt, from_address

NO_MATCH = gettext_noop(
    "These details do not match a bill of ours. Check each of them against your bill and try again"
)
TOO_MANY = gettext_noop("Too many attempts. Wait an hour and try again, or call us on %(phone)s")

OLD_BILL = gettext_noop(
    "This bill can no longer be used to prove this account. Use a bill issued after %(day)s, or call us on"
    " %(phone)s"
)


@dataclass(frozen=True)
class Proof:
    """Bill details that proved an account: what was checked, and the account and holder it proves."""

    details: BillDetails
    account_id: int
    customer_id: int


async def _find_bill_account(checked: BillDetails) -> dict[str, Any] | None:
    """The account whose holder, number, bill number and bill amount all match, or None. The amount is
    the bill's total, or for a credit bill (a total below 0) what it prints as "Amount in your favour":
    the same figure without its sign (`parse_amount` takes no sign, and only credit bills have one).
    `old_bill_until`: the account's `bills_prove_after` when this bill was issued on or before it (an
    access was removed since: `access.remove_access`), so that it no longer proves the account; else None."""
    return await fetch_one(
        "SELECT a.id, a.customer,"
        " CASE WHEN b.issue_date <= a.bills_prove_after THEN a.bills_prove_after END AS old_bill_until"
        " FROM bill b JOIN account a ON a.id = b.account JOIN customer c ON c.id = a.customer"
        " WHERE a.number = {} AND b.number = {} AND abs(b.total_cents) = {} AND c.identity_number = {}",
        checked.account_number,
        checked.bill_number,
        checked.amount_cents,
        checked.identity_number,
    )


async def check(
    details: BillDetailsForm, kind: str, origin: Origin, phone: str
) -> tuple[Proof | None, Errors]:
    """Verify bill details against our bills, throttled per client address and per account number (from
    that address, and from all). A mismatch gets one message whichever field is wrong, so nobody can find
    out which part was right. A bill that matches but no longer proves its account (issued before an
    access to it was removed) is refused with a message of its own: it takes all four details right, so
    it tells a guesser nothing, and like right details it is not counted (the person removed, trying
    their old bill again and again, would otherwise use up the account's limit and keep its holder, with
    a newer bill, from registering)."""
    checked, errors = forms.check_bill_details(details, kind)
    if checked is None:
        return None, errors
    account = checked.account_number
    counted = await count_attempt(
        (throttle.BILL_CHECK_PER_IP, origin.ip),
        (throttle.BILL_CHECK_PER_ACCOUNT_AND_IP, from_address(origin.ip, account)),
        then=((throttle.BILL_CHECK_PER_ACCOUNT, account),),
    )
    if counted.refused:
        await counted.uncount()
        await audit.record("bill_check.throttled", origin, account_number=account)
        return None, {"identity": _(TOO_MANY) % {"phone": phone}}
    found = await _find_bill_account(checked)
    if found is not None:
        await counted.uncount()  # right details are no guess: only failures count
    if errors := await _refusal(found, checked, origin, phone):
        return None, errors
    assert found is not None
    return Proof(checked, found["id"], found["customer"]), {}


async def _refusal(found: dict[str, Any] | None, checked: BillDetails, origin: Origin, phone: str) -> Errors:
    """Why the bill details do not prove an account, from what `_find_bill_account` found for them; no
    errors when they do."""
    if found is None:
        await audit.record("bill_check.failed", origin, account_number=checked.account_number)
        return {"identity": _(NO_MATCH)}
    if found["old_bill_until"] is not None:
        until: dt.date = found["old_bill_until"]
        await audit.record(
            "bill_check.superseded",
            origin,
            account_number=checked.account_number,
            bills_prove_after=until.isoformat(),
        )
        return {"bill_number": _(OLD_BILL) % {"day": format_day(until), "phone": phone}}
    return {}


async def proof_holds(checked: BillDetails, account_id: int, origin: Origin, phone: str) -> Errors:
    """In the transaction that grants the account the bill details proved: why they no longer prove it,
    if a removal (`access.remove_access`) committed since they were checked and made the bill an old one.
    The holder's row is locked first, as a removal locks it, so that a removal under way has committed
    before the bill is read again, and one that comes later waits until the grant is done."""
    await execute(
        "SELECT c.id FROM customer c JOIN account a ON a.customer = c.id WHERE a.id = {} FOR SHARE OF c",
        account_id,
    )
    return await _refusal(await _find_bill_account(checked), checked, origin, phone)
