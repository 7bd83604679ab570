"""Who can see an account, and taking that away: the operators' `portal access list ACCOUNT` and
`portal access remove USERNAME ACCOUNT`, for the holder who calls customer service about a notice
(`holder_notice`) of an access they did not expect.

An administrator user sees each account they proved on its own: removing one deletes that access. A
private or company user is the holder's own user and sees every account of the holder, new ones too (the
billing import grants those through `User.customer`), so one account cannot be taken from them alone:
with `all_accounts` they lose every account of the holder and are unlinked from it, which also lets the
holder register (a holder registers once: `services._holder_registered`). Either way every session of
the user ends, so an open browser loses the access at its next request.

The person removed still holds the bill they proved the account with, and would come straight back with
it ("Add an account", or a registration under any username). So a removal also makes the bills of the
accounts it took away that were issued up to that day (the customers' date) stop proving them
(`account.bills_prove_after`, checked by `bill_check.check`, and again by `bill_check.proof_holds`
where the account is granted): only a later bill does, which reaches the holder, not a stranger who once
had one. Registrations in progress that such a bill had proved go back to their bill check. `portal access
allow-old-bills ACCOUNT` lifts it, for a holder who calls in with only an old bill.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from portal import audit, clock
from portal.accounts.forms import normalise_login
from portal.banking.accounts import AccountNumberError, validate_account_number
from portal.db import engine as db_engine
from portal.db import execute, fetch, fetch_one
from portal.db.tables.users import AccessRole
from portal.infra.command_arguments import shown
from portal.web.sessions import SessionStore

KINDS = {"private": "private user", "company": "company user", "administrator": "administrator user"}


class Refused(Exception):
    """What the operator asked cannot be done as asked (no such account or user, or an access that needs
    --all-accounts, or one that must not have it): the message says why, and nothing changed."""


@dataclass(frozen=True)
class Holding:
    """An account and its holder."""

    id: int
    number: str
    customer: int
    holder: str
    bills_prove_after: dt.date | None
    """Bills issued up to this day no longer prove the account (see the module); None: any bill does."""

    def old_bills_line(self) -> str | None:
        """`portal access list`'s line about the account's old bills, when they no longer prove it."""
        if self.bills_prove_after is None:
            return None
        return (
            f"Bills issued up to {self.bills_prove_after:%Y-%m-%d} no longer prove account {self.number}"
            " (portal access allow-old-bills lifts this)"
        )


@dataclass(frozen=True)
class Access:
    username: str
    kind: str
    role: str
    created_at: dt.datetime
    activated: bool

    def line(self) -> str:
        """One line of `portal access list`: since when, in the customers' time zone."""
        since = f"{clock.local(self.created_at):%Y-%m-%d %H:%M %Z}"
        state = "activated" if self.activated else "not activated"
        return f"{self.username}  {KINDS[self.kind]}  {self.role}  since {since}  {state}"


@dataclass(frozen=True)
class Removal:
    username: str
    kind: str
    holding: Holding
    accounts: int
    """How many access rows went: 1 for an administrator, the holder's accounts for its own user."""
    unlinked: bool
    """Whether the user was the holder's own user, now unlinked from it."""
    bills_prove_after: dt.date
    """The accounts' bills issued up to this day no longer prove them (this removal's day, or a later one
    that an earlier removal set)."""

    def lines(self) -> list[str]:
        """What `portal access remove` did: who lost what, then what their bills no longer prove."""
        who = f"{self.username} ({KINDS[self.kind]})"
        up_to = f"{self.bills_prove_after:%Y-%m-%d}"
        if not self.unlinked:
            return [
                f"{who} no longer sees account {self.holding.number}; their sessions ended",
                f"Bills issued up to {up_to} no longer prove account {self.holding.number}: to add it again"
                " or register with it, a later bill is needed",
            ]
        return [
            f"{who} no longer sees the {self.accounts} accounts of {self.holding.holder}"
            f" (holder of {self.holding.number}) and is unlinked from that holder: imports give them no"
            " new account, and the holder can register; their sessions ended",
            f"Bills issued up to {up_to} no longer prove any account of {self.holding.holder}: to register"
            " or add one, a later bill is needed",
        ]


async def find_account(typed: str) -> Holding:
    """The account of a number as people type it (spaces and hyphens allowed, as in every form)."""
    try:
        number = validate_account_number(typed)
    except AccountNumberError as exc:
        raise Refused(f"{shown(typed)} is not an account number: {exc.message}") from None
    row = await fetch_one(
        "SELECT a.id, a.number, a.customer, c.name AS holder, a.bills_prove_after FROM account a"
        " JOIN customer c ON c.id = a.customer WHERE a.number = {}",
        number,
    )
    if row is None:
        raise Refused(f"there is no account {number}")
    return Holding(**row)


async def accesses(holding: Holding) -> list[Access]:
    """Every user who can see the account, the earliest access first."""
    rows = await fetch(
        "SELECT u.username, u.kind, x.role, x.created_at, u.activated_at IS NOT NULL AS activated"
        ' FROM account_access x JOIN portal_user u ON u.id = x."user"'
        " WHERE x.account = {} ORDER BY x.created_at, u.username",
        holding.id,
    )
    return [Access(**row) for row in rows]


async def _find_user(typed: str) -> dict[str, Any]:
    """The user of a username or an email address, matched as sign-in matches them."""
    login = normalise_login(typed)
    user = await fetch_one(
        "SELECT id, username, kind FROM portal_user WHERE username = {} OR email = {}", login, login
    )
    if user is None:
        raise Refused(f"there is no user {shown(login)}")
    return user


async def remove_access(
    login: str, typed_account: str, *, all_accounts: bool, sessions: SessionStore, by: str
) -> Removal | None:
    """Take the account away from the user (see the module): None when they could not see it. `by`: the
    operator, for the audit event."""
    holding = await find_account(typed_account)
    user = await _find_user(login)
    async with db_engine().transaction():
        # Waits for an import batch adding an account of this holder (it grants the account to the
        # holder's own user), so that the accesses deleted below include it.
        await execute("SELECT id FROM customer WHERE id = {} FOR UPDATE", holding.customer)
        access = await fetch_one(
            'SELECT role FROM account_access WHERE "user" = {} AND account = {}', user["id"], holding.id
        )
        if access is None:
            return None
        as_holder = access["role"] == AccessRole.holder
        if as_holder and not all_accounts:
            raise Refused(await _all_or_nothing(user, holding))
        if not as_holder and all_accounts:
            raise Refused(
                f"{user['username']} is an administrator user, who sees each account they added on its own:"
                " remove their accesses one by one, without --all-accounts"
            )
        # The holder's own user loses every account of the holder; an administrator, this one.
        removed = await fetch(
            'DELETE FROM account_access WHERE "user" = {} AND account IN'
            " (SELECT id FROM account WHERE customer = {} AND (id = {} OR {})) RETURNING id",
            user["id"],
            holding.customer,
            holding.id,
            as_holder,
        )
        if as_holder:
            await execute(
                "UPDATE portal_user SET customer = NULL WHERE id = {} AND customer = {}",
                user["id"],
                holding.customer,
            )
        until = await _old_bills_stop_proving(holding, all_accounts=as_holder)
        await sessions.end_all(user["id"])
        await audit.record(
            "access.removed",
            audit.COMMAND,
            user_id=user["id"],
            account_id=holding.id,
            accounts=len(removed),
            unlinked_customer_id=holding.customer if as_holder else None,
            bills_prove_after=until.isoformat(),
            by=by,
        )
    return Removal(user["username"], user["kind"], holding, len(removed), as_holder, until)


async def _old_bills_stop_proving(holding: Holding, *, all_accounts: bool) -> dt.date:
    """The bills issued up to today of the account (or of every account of its holder) no longer prove
    it; a later date that an earlier removal set stays. Registrations in progress that one of those
    accounts' bills proved go back to their bill check, where the old bill is refused. Returns the day.

    A registration being completed at this moment holds its draft and waits for the holder's row, which
    this transaction holds: it is skipped here (waiting for it would deadlock) and, once this commits,
    its completion reads the bill again and sends it back itself (`bill_check.proof_holds`)."""
    cut = await fetch(
        "UPDATE account SET bills_prove_after = GREATEST(bills_prove_after, {})"
        " WHERE customer = {} AND (id = {} OR {}) RETURNING id, bills_prove_after",
        clock.today(),
        holding.customer,
        holding.id,
        all_accounts,
    )
    await execute(
        "UPDATE registration_draft SET account = NULL WHERE id IN (SELECT id FROM registration_draft"
        " WHERE account = ANY({}::int[]) AND completed_at IS NULL FOR UPDATE SKIP LOCKED)",
        [row["id"] for row in cut],
    )
    return max(row["bills_prove_after"] for row in cut)


async def allow_old_bills(typed_account: str, *, by: str) -> Holding:
    """Any bill of the account proves it again (see the module), for the holder who calls in with only a
    bill from before a removal. Returns the account as it was: its `bills_prove_after` None when every
    bill proved it already (nothing changed). `by`: the operator, for the audit event."""
    holding = await find_account(typed_account)
    async with db_engine().transaction():
        row = await fetch_one("SELECT bills_prove_after FROM account WHERE id = {} FOR UPDATE", holding.id)
        until = row["bills_prove_after"] if row else None
        if until is not None:
            await execute("UPDATE account SET bills_prove_after = NULL WHERE id = {}", holding.id)
            await audit.record(
                "access.old_bills_allowed",
                audit.COMMAND,
                account_id=holding.id,
                bills_prove_after=until.isoformat(),
                by=by,
            )
    return dataclasses.replace(holding, bills_prove_after=until)


async def _all_or_nothing(user: dict[str, Any], holding: Holding) -> str:
    """Why one account cannot be taken from the holder's own user, and what can be done instead."""
    row = await fetch_one("SELECT count(*) AS accounts FROM account WHERE customer = {}", holding.customer)
    accounts = int(row["accounts"]) if row else 0
    return (
        f"{user['username']} is the {KINDS[user['kind']]} of {holding.holder}, the holder of"
        f" {holding.number}, and sees all of the holder's {accounts} accounts, new ones too: one of them"
        " cannot be taken away alone. Add --all-accounts to remove all of them and unlink the user from"
        " the holder (who can then register)"
    )
