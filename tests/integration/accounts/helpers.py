"""Steps and readers shared by the accounts integration tests: the demo's bill details and users, the
registration and sign-in steps as a browser takes them, and small readers for pages, emails and rows."""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import re
from typing import Any

import httpx

from portal.db.tables import Account, AuditEvent, Session, User
from tests.conftest import browser, csrf_token, other_transaction, submit
from tests.integration.accounts.test_registration_flow import MARIA, activation_link
from tests.steps import ADMIN, ANA, error_messages, submit_sign_in

__all__ = [
    "ADMIN",
    "ANA",
    "HORNO",
    "INMOBILIARIA",
    "MARIA",
    "OKSANA",
    "OTHER_IP",
    "SESSION_COOKIE",
    "activation_link",
    "audit_events",
    "browser",
    "complete_registration",
    "error_messages",
    "field_value",
    "heading",
    "is_checked",
    "link_token",
    "register_until_check",
    "reset_link",
    "sha256",
    "start_registration",
    "submit_sign_in",
    "user_row",
]

# Bill details of demo customers (see README.md, "Demo data"); MARIA comes from test_registration_flow.
HORNO = {
    "identity": "B46382917",
    "account_number": "0001000033",
    "bill_number": "FA00000000075",
    "amount": "158,60",
}
INMOBILIARIA = {
    "identity": "A03312543",
    "account_number": "0001000074",
    "bill_number": "FA00000000175",
    "amount": "17,11",
}
OKSANA = {
    "identity": "Y2345678Z",
    "account_number": "0001000389",
    "bill_number": "FA00000000950",
    "amount": "21,11",
}


SESSION_COOKIE = "session"  # the test settings use http://, so no __Host- prefix
OTHER_IP = "198.51.100.23"  # another browser (`browser`): `running` (tests/conftest.py) uses 203.0.113.10


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- steps -------------------------------------------------------------------------------------------


async def start_registration(client: Any, kind: str = "private") -> None:
    response = await submit(client, "/register", {"kind": kind})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/register/bill-details"


async def register_until_check(
    client: Any, kind: str, bill: dict[str, str], username: str, email: str, online_bill: bool = False
) -> None:
    """Choose the type, verify the bill and give the user details: the draft is ready to submit."""
    await start_registration(client, kind)
    response = await submit(client, "/register/bill-details", bill)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/register/user-details"
    details = {"username": username, "email": email, "privacy": "true"}
    if online_bill:
        details["online_bill"] = "true"
    response = await submit(client, "/register/user-details", details)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/register/check"


async def complete_registration(
    client: Any, kind: str, bill: dict[str, str], username: str, email: str
) -> None:
    """A whole registration up to "Check your email": the user exists, not yet activated."""
    await register_until_check(client, kind, bill, username, email)
    response = await submit(client, "/register/check")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/register/email-sent"


# --- readers -----------------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


def heading(page: str) -> str:
    """The text of the page's <h1>."""
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert match is not None, "no <h1> in the page"
    return html.unescape(_TAG.sub("", match.group(1))).strip()


def field_value(page: str, field_id: str) -> str | None:
    """The value a page's <input id=…> shows (None when it shows none)."""
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page, re.S)
    assert tag is not None, f"no input {field_id!r} in the page"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None


def is_checked(page: str, field_id: str) -> bool:
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page, re.S)
    assert tag is not None, f"no input {field_id!r} in the page"
    return re.search(r"\schecked[\s>]", tag.group(0)) is not None


def reset_link(message: Any) -> str:
    text = message.get_payload()[0].get_payload(decode=True).decode()
    match = re.search(r"http://\S+/password/reset\?token=(\S+)", text)
    assert match is not None, text
    return match.group(0)


def link_token(link: str) -> str:
    return link.split("token=", 1)[1]


async def audit_events(event: str | None = None) -> list[dict[str, Any]]:
    """The audit rows (of one event, or all), oldest first, with `detail` decoded from its JSON."""
    query = AuditEvent.select().order_by(AuditEvent.id)
    if event is not None:
        query = query.where(AuditEvent.event == event)
    rows = await query
    for row in rows:
        if isinstance(row["detail"], str):
            row["detail"] = json.loads(row["detail"])
    return rows


async def user_row(username: str) -> dict[str, Any]:
    row = await User.select().where(User.username == username).first()
    assert row is not None, f"no user {username!r}"
    return row


async def session_rows(username: str) -> list[dict[str, Any]]:
    user = await user_row(username)
    return await Session.select().where(Session.user == user["id"])


async def add_account_at_once(client: Any, details: dict[str, str], times: int) -> list[httpx.Response]:
    """A double click, a slow network or two tabs: the signed-in administrator's "Add an account" form sent
    `times` times at once. All are in flight together: each waits to add the access while another
    transaction holds the account, until every one of them is waiting. Left to the event loop, one could
    start only after another had replaced the session it came with, and be sent to "Sign in" (a later
    request with an ended session, not a twin)."""
    form = {"_csrf_token": await csrf_token(client), **details}
    account = (await Account.select(Account.id).where(Account.number == details["account_number"]).first())[
        "id"
    ]
    async with other_transaction() as holder:
        await holder.execute("SELECT id FROM account WHERE id = $1 FOR UPDATE", account)
        sent = [
            asyncio.create_task(client.post("/account/accounts/add", data=form, follow_redirects=False))
            for _ in range(times)
        ]
        await holder.blocks(times)
    return list(await asyncio.gather(*sent))
