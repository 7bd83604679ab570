"""`portal access list ACCOUNT` and `portal access remove USERNAME ACCOUNT`: what the operator sees (the
work is `access`'s). Like `portal payments`: the report on standard output, its last line the summary;
what cannot be done on standard error, exit status 2 (1 when the user could not see the account)."""

from __future__ import annotations

import sys

from portal import audit
from portal.accounts.access import Refused, accesses, find_account, remove_access
from portal.settings import Settings
from portal.web.sessions import SessionStore


async def list_accesses(typed_account: str) -> int:
    try:
        holding = await find_account(typed_account)
    except Refused as exc:
        print(f"portal access list: {exc}", file=sys.stderr)
        return 2
    found = await accesses(holding)
    for access in found:
        print(access.line())
    print(f"{len(found)} users can see account {holding.number} (holder {holding.holder})")
    return 0


async def remove(
    login: str, typed_account: str, settings: Settings, *, all_accounts: bool, by: str | None
) -> int:
    try:
        removal = await remove_access(
            login,
            typed_account,
            all_accounts=all_accounts,
            sessions=SessionStore(settings),
            by=audit.operator(by),
        )
    except Refused as exc:
        print(f"portal access remove: {exc}", file=sys.stderr)
        return 2
    if removal is None:
        print(
            f"portal access remove: {login} cannot see account {typed_account}: nothing removed",
            file=sys.stderr,
        )
        return 1
    print(removal.line())
    return 0
