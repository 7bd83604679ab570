"""Email addresses in registration: who holds an address, and how often registration may write to one.

An address belongs to the user who activated it. A registration never activated is only a claim on its
address: the next registration of the address (or a user's change to it) replaces that claim, so typing a
stranger's address cannot lock its owner out. Every email that registration sends to an address counts
against the address's limits, whichever draft, user or client asks for it, so that registering an address
over and over cannot flood its inbox.
"""

from __future__ import annotations

from portal import audit
from portal.accounts import throttle
from portal.audit import Origin
from portal.db import execute, fetch, fetch_one
from portal.i18n import gettext_noop
from portal.web.throttle import Throttle

SEVERAL_EMAILS = gettext_noop(
    "We have sent several emails to this address recently. Check your inbox and spam folder, or try again"
    " later"
)
"""The same whether or not the address has a user, like everything registration says about an address."""
EMAIL_CHANGED = gettext_noop(
    "Your email address was changed in another window while you were registering. Check your answers and"
    " register again"
)
"""A registration whose address changed (another tab's user details) after its emails were counted
against the address it had then: the new one's limits were not asked, so nothing is sent."""

_EMAIL_LIMITS = (throttle.REGISTRATION_EMAILS_PER_HOUR, throttle.REGISTRATION_EMAILS_PER_DAY)


def email_limits(address: str) -> list[tuple[Throttle, str]]:
    """The limits of the emails that registration sends to `address` (lower-cased), to count with the
    attempt that would send one (`count_attempt`)."""
    return [(limit, address) for limit in _EMAIL_LIMITS]


async def release_unactivated(address: str, origin: Origin) -> None:
    """Remove the user that holds `address` (lower-cased) but was never activated, if there is one; its
    access, activation links and draft go with it, so its links stop working. Call inside the transaction
    that gives the address to someone else. Its audit events stay, its id moved into their detail."""
    # Its links first, then the user: the order activation locks them in, so the two cannot deadlock.
    await fetch(
        'SELECT t.id FROM email_token t JOIN portal_user u ON u.id = t."user"'
        " WHERE u.email = {} AND u.activated_at IS NULL FOR UPDATE OF t",
        address,
    )
    user = await fetch_one(
        "SELECT id FROM portal_user WHERE email = {} AND activated_at IS NULL FOR UPDATE", address
    )
    if user is None:
        return
    await execute(
        'UPDATE audit_event SET "user" = NULL, detail = detail || jsonb_build_object(\'user_id\', "user")'
        ' WHERE "user" = {}',
        user["id"],
    )
    await execute("DELETE FROM portal_user WHERE id = {}", user["id"])
    await audit.record("registration.unactivated_replaced", origin, replaced_user_id=user["id"])
