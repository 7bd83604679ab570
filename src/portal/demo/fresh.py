"""Data of its own for each end-to-end test: `portal demo customer` and `portal demo download-request`.

A fresh customer is made as the demo is: its customer, accounts and bills are written as the billing
system's records and loaded through `portal import`'s importer (`import_customer`), then its user is
added (`insert_user`). Its serials come after every one in the database, so its identity document,
account numbers, bill numbers and payment codes are new: a test that pays its bills, changes its user's
password or registers its holder disturbs no other test, in any order. The commands print what a test
needs (the details printed on the bills, the user to sign in with) as JSON.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

from argon2 import PasswordHasher

from portal import clock
from portal.banking.cuaderno57 import CPR_CUADERNO_57
from portal.banking.money import format_eur
from portal.db import execute, fetch_one
from portal.db.tables import AccountAccess, Customer, DownloadRequest, User
from portal.db.tables.accounts import CustomerKind
from portal.db.tables.downloads import DownloadState
from portal.db.tables.users import AccessRole, UserKind
from portal.demo.generate import (
    HIGHEST_BILL_SERIAL,
    SEED,
    AccountSpec,
    CustomerSpec,
    UserSpec,
    _at,
    _dni,
    _nie,
    make_cif,
)
from portal.demo.load import import_customer, insert_user
from portal.settings import Settings

Identity = Literal["dni", "nie", "cif"]

# Above the demo's serials and below the benchmark's scale data (which continues after the highest).
_FIRST_ACCOUNT_SERIAL = 500_000_001
_FIRST_BILL_SERIAL = 500_000_001


async def _next_serial(sql: str, floor: int) -> int:
    row = await fetch_one(sql)
    return max((row or {}).get("highest") or 0, floor - 1) + 1


def _identity(kind: Identity, serial: int) -> str:
    """A valid document of the kind, unique per serial (serials never repeat in a database)."""
    if kind == "dni":
        return _dni(f"{serial % 10**8:08d}")
    if kind == "nie":
        return _nie(f"Z{serial % 10**7:07d}")
    return make_cif(f"B{serial % 10**7:07d}")


async def add_customer(
    settings: Settings,
    *,
    identity: Identity,
    pending: Sequence[int],
    user: UserKind | None,
    password: str,
    online_bill: bool,
    today: date | None = None,
) -> dict[str, Any]:
    """A new customer with one account per entry of `pending` (that many of its latest bills unpaid) and,
    when `user` is given, an activated user of that kind who sees its accounts. What a test needs to know
    about them, as JSON-ready data."""
    today = today or clock.today()
    account_serial = await _next_serial(
        "SELECT max(left(number, 9)::int) AS highest FROM account", _FIRST_ACCOUNT_SERIAL
    )
    bill_serial = await _next_serial(HIGHEST_BILL_SERIAL, _FIRST_BILL_SERIAL)
    identity_number = _identity(identity, account_serial)
    name = f"Holder {identity_number}"
    spec = CustomerSpec(
        "An end-to-end test's own customer",
        CustomerKind.company if identity == "cif" else CustomerKind.person,
        identity_number,
        name,
        f"{identity_number.lower()}@example.com",
        "+34 960 000 000",
        tuple(
            AccountSpec(f"Calle de la Prueba {index + 1}, 46001 Valencia", pending=count)
            for index, count in enumerate(pending)
        ),
    )
    rng = random.Random(SEED + account_serial)  # noqa: S311 (made-up data, no secrets)
    customer_id, account_ids, bills = await import_customer(
        spec, settings, rng, today, account_serial=account_serial, bill_serial=bill_serial
    )
    user_data = None
    if user is not None:
        username = f"{user.value}.{identity_number.lower()}"
        role = AccessRole.administrator if user == UserKind.administrator else AccessRole.holder
        user_spec = UserSpec(username, password, f"{username}@example.com", user, identity_number, role)
        async with Customer._meta.db.transaction():
            await insert_user(
                user_spec,
                customer_id,
                account_ids,
                password_hash=PasswordHasher().hash(password),
                signed_up=_at(today - timedelta(days=30)),
                online_bill=online_bill,
            )
        user_data = {"username": username, "password": password, "email": user_spec.email}
    return {
        "identity": identity_number,
        "name": name,
        "user": user_data,
        "accounts": [
            {
                "number": number,
                "bills": [
                    {
                        "number": bill.number,
                        "status": bill.status.value,
                        "amount": format_eur(bill.charges.total_cents).removesuffix("\u00a0€"),
                        "amount_cents": bill.charges.total_cents,
                        "cpr": CPR_CUADERNO_57,
                        "issuer_suffix": bill.code.issuer_suffix,
                        "reference": bill.code.reference,
                        "identification": bill.code.identification,
                        "barcode": bill.code.barcode_digits,
                    }
                    for bill in account_bills
                ],
            }
            for number, account_bills in bills.items()
        ],
    }


async def add_download_request(username: str, state: DownloadState, name: str) -> int:
    """A request of the user's in a state a person cannot wait for (failed, or expired after the
    retention days), of the last 3 months of the user's first account; its id."""
    [owner] = await User.select(User.id).where(User.username == username)
    [account] = (
        await AccountAccess.select(AccountAccess.account._.number.as_alias("number"))
        .where(AccountAccess.user == owner["id"])
        .limit(1)
    )
    now = clock.now()
    expired = now if state == DownloadState.expired else None
    period_from, period_to = (now - timedelta(days=90)).date(), now.date()
    [row] = await DownloadRequest.insert(
        DownloadRequest(
            user=owner["id"],
            state=state,
            name=name,
            file_name=f"{name}.zip",
            period_preset="last_3",
            period_from=period_from,
            period_to=period_to,
            select_by="account",
            selector=account["number"],
            attempts=1,
            error="Made by `portal demo download-request`" if state == DownloadState.failed else "",
            created_at=now,
            updated_at=now,
            requested_at=now,
            ready_at=expired,
            expires_at=expired,
        )
    ).returning(DownloadRequest.id)
    request_id = int(row["id"])
    # Its bills marked, as Confirm leaves them: "Try again" then prepares a real zip, never one of 0 bills.
    await execute(
        "INSERT INTO download_request_bill (request, bill) SELECT {}, bill.id FROM bill"
        " JOIN account ON account.id = bill.account"
        " WHERE account.number = {} AND bill.period_end >= {} AND bill.period_start <= {}",
        request_id,
        account["number"],
        period_from,
        period_to,
    )
    await execute(
        "UPDATE download_request SET bill_count = marked.n, total_cents = marked.total FROM"
        " (SELECT count(*) AS n, coalesce(sum(bill.total_cents), 0) AS total"
        " FROM download_request_bill JOIN bill ON bill.id = download_request_bill.bill"
        " WHERE download_request_bill.request = {}) AS marked"
        " WHERE download_request.id = {}",
        request_id,
        request_id,
    )
    return request_id
