"""`portal access list ACCOUNT`, `portal access remove USERNAME ACCOUNT` and `portal access allow-old-bills
ACCOUNT`: what the operator sees (the work is `access`'s). Like `portal payments`: the report on standard
output; what cannot be done on standard error, exit status 2 (1 when there was nothing to do: the user
could not see the account, or its bills all proved it already)."""

from __future__ import annotations

import argparse
import sys

from portal import audit
from portal.accounts.access import Refused, accesses, allow_old_bills, find_account, remove_access
from portal.infra.command_arguments import shown
from portal.settings import Settings
from portal.web.sessions import SessionStore


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """The subcommand `args` asks for (`cli.build_parser` reads them)."""
    if args.access_command == "list":
        return await list_accesses(args.account)
    if args.access_command == "allow-old-bills":
        return await allow(args.account, by=args.by)
    return await remove(args.username, args.account, settings, all_accounts=args.all_accounts, by=args.by)


async def list_accesses(typed_account: str) -> int:
    try:
        holding = await find_account(typed_account)
    except Refused as exc:
        print(f"portal access list: {exc}", file=sys.stderr)
        return 2
    found = await accesses(holding)
    for access in found:
        print(access.line())
    if old_bills := holding.old_bills_line():
        print(old_bills)
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
            f"portal access remove: {shown(login)} cannot see account {shown(typed_account)}:"
            " nothing removed",
            file=sys.stderr,
        )
        return 1
    print("\n".join(removal.lines()))
    return 0


async def allow(typed_account: str, *, by: str | None) -> int:
    try:
        holding = await allow_old_bills(typed_account, by=audit.operator(by))
    except Refused as exc:
        print(f"portal access allow-old-bills: {exc}", file=sys.stderr)
        return 2
    if holding.bills_prove_after is None:
        print(
            f"portal access allow-old-bills: every bill of account {holding.number} proves it already:"
            " nothing to do",
            file=sys.stderr,
        )
        return 1
    print(
        f"Every bill of account {holding.number} proves it again, those issued up to"
        f" {holding.bills_prove_after:%Y-%m-%d} too"
    )
    return 0
