"""Telling holders that someone can now see their accounts (security finding F10).

One bill is all it takes to register: a former tenant, a flatmate or whoever took a letter could then see
the holder's bills, supply addresses and masked IBAN. So when an access becomes usable — a registration's
activation, for every type of user, and an administrator's "Add an account" — each holder of its accounts
is emailed: which accounts, who (the type of user and the username), when, and the customer service phone
to have the access removed. It goes to the holder's contact address from the billing records
(`customer.email`), and to the address of the holder's own activated private or company user
(`portal_user.email`: the one they use with the portal, where the billing system's may be stale or
empty); once per address when both are the same (compared as logins are), each copy saying why its
reader gets it. Never to the new user's own address (the holder registering themselves with their
contact address); nothing, audited as skipped, when no address is left.

The notice holds no link and nothing secret: its reader may have no user at all, and a notice that never
asks to sign in gives a phisher nothing to copy.
"""

from __future__ import annotations

from collections.abc import Sequence

from portal import audit, clock, i18n
from portal.accounts.forms import normalise_login
from portal.audit import Origin
from portal.db import fetch
from portal.i18n import gettext_noop
from portal.notifications import outbox
from portal.notifications.mailer import Mailer

USER_KINDS = {
    "private": gettext_noop("Private user"),
    "company": gettext_noop("Company user"),
    "administrator": gettext_noop("Administrator user"),
}
"""Each type of user's name, in English: translated where it is shown."""

# The user's accesses (to the accounts asked for, or to all when NULL) by holder, with the holder's own
# activated user, never the new one: a private or company user registers as the holder, and may be the
# stranger the notice is about. That user's language is the notice's, and its address gets a copy. Joined
# after the grouping: looked up once per holder, not once per account.
_HOLDERS = (
    "SELECT g.customer_id, g.email, g.account_numbers, h.language, h.email AS user_email FROM"
    " (SELECT c.id AS customer_id, c.email, array_agg(a.number ORDER BY a.number) AS account_numbers"
    "  FROM account_access x JOIN account a ON a.id = x.account JOIN customer c ON c.id = a.customer"
    '  WHERE x."user" = {} AND ({}::int[] IS NULL OR a.id = ANY({}::int[])) GROUP BY c.id) g'
    " LEFT JOIN LATERAL (SELECT h.language, h.email FROM portal_user h WHERE h.customer = g.customer_id"
    "   AND h.id <> {} AND h.activated_at IS NOT NULL ORDER BY h.id LIMIT 1) h ON true"
    " ORDER BY g.customer_id"
)


async def store_holder_notices(
    user_id: int, mailer: Mailer, origin: Origin, *, occasion: str, account_ids: Sequence[int] | None = None
) -> list[int]:
    """Store a notice to the holder of each of the user's accounts (`account_ids`, or all of them), one
    per address (`_recipients`), and return their outbox ids, to enqueue after the commit. Call inside
    the transaction that makes the access usable. `occasion` names that change once (the activation,
    the access row): asked again for the same occasion, nothing more is sent."""
    user = (await fetch("SELECT username, email, kind FROM portal_user WHERE id = {}", user_id))[0]
    wanted = list(account_ids) if account_ids is not None else None
    email_ids = []
    for holder in await fetch(_HOLDERS, user_id, wanted, wanted, user_id):
        detail = {"customer_id": holder["customer_id"], "accounts": len(holder["account_numbers"])}
        recipients = _recipients(holder["email"], holder["user_email"], new_users=user["email"])
        if not recipients:
            reason = "no_address" if not holder["email"] else "own_address"
            await audit.record("holder_notice.skipped", origin, user_id=user_id, reason=reason, **detail)
            continue
        for to, address in recipients:
            # A key per occasion, holder and address (the contact copy keeps the one it had alone):
            # asked again, neither copy is stored twice.
            suffix = "" if to == "contact" else f":{to}"
            email_ids.append(
                await outbox.store_email(
                    mailer.env,
                    dedupe_key=f"holder_notice:{occasion}:{holder['customer_id']}{suffix}",
                    template="holder_notice",
                    to_address=address,
                    language=holder["language"] or i18n.default_language(),
                    context={
                        "account_numbers": holder["account_numbers"],
                        "user_kind": USER_KINDS[user["kind"]],
                        "username": user["username"],
                        "at": clock.now(),
                        "to": to,
                    },
                )
            )
            await audit.record("holder_notice.sent", origin, user_id=user_id, to=to, **detail)
    return email_ids


def _recipients(contact: str | None, own_user: str | None, *, new_users: str) -> list[tuple[str, str]]:
    """Who of the holder gets the notice, as (`contact` or `user`, address): the contact address unless
    empty or the new user's own; the holder's own user's address unless it is the contact address too
    (compared as logins are, whatever the capitals: one email is enough). That user is never the new one
    and addresses are unique among users, so its address is never the new user's own."""
    recipients = []
    if contact and normalise_login(contact) != normalise_login(new_users):
        recipients.append(("contact", contact))
    if own_user and (not contact or normalise_login(own_user) != normalise_login(contact)):
        recipients.append(("user", own_user))
    return recipients
