"""Telling holders that someone can now see their accounts (security finding F10).

One bill is all it takes to register: a former tenant, a flatmate or whoever took a letter could then see
the holder's bills, supply addresses and masked IBAN. So when an access becomes usable — a registration's
activation, for every type of user, and an administrator's "Add an account" — each holder of its accounts
is emailed at their contact address from the billing records (`customer.email`): which accounts, who (the
type of user and the username), when, and the customer service phone to have the access removed. Not when
the holder has no address, nor when it is the new user's own (the holder registering themselves).

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

# The user's accesses (to the accounts asked for, or to all when NULL) by holder. The holder's language is
# that of their own activated user, never the new one's: a private or company user registers as the
# holder, and may be the stranger the notice is about.
_HOLDERS = (
    "SELECT c.id AS customer_id, c.email, array_agg(a.number ORDER BY a.number) AS account_numbers,"
    ' (SELECT h.language FROM portal_user h WHERE h.customer = c.id AND h.id <> x."user"'
    "   AND h.activated_at IS NOT NULL ORDER BY h.id LIMIT 1) AS language"
    " FROM account_access x JOIN account a ON a.id = x.account JOIN customer c ON c.id = a.customer"
    ' WHERE x."user" = {} AND ({}::int[] IS NULL OR a.id = ANY({}::int[]))'
    ' GROUP BY c.id, x."user" ORDER BY c.id'
)


async def store_holder_notices(
    user_id: int, mailer: Mailer, origin: Origin, *, occasion: str, account_ids: Sequence[int] | None = None
) -> list[int]:
    """Store a notice to the holder of each of the user's accounts (`account_ids`, or all of them) and
    return their outbox ids, to enqueue after the commit. Call inside the transaction that makes the
    access usable. `occasion` names that change once (the activation, the access row): asked again for
    the same occasion, nothing more is sent."""
    user = (await fetch("SELECT username, email, kind FROM portal_user WHERE id = {}", user_id))[0]
    wanted = list(account_ids) if account_ids is not None else None
    email_ids = []
    for holder in await fetch(_HOLDERS, user_id, wanted, wanted):
        address = holder["email"]
        detail = {"customer_id": holder["customer_id"], "accounts": len(holder["account_numbers"])}
        if not address or normalise_login(address) == user["email"]:
            reason = "no_address" if not address else "own_address"
            await audit.record("holder_notice.skipped", origin, user_id=user_id, reason=reason, **detail)
            continue
        email_ids.append(
            await outbox.store_email(
                mailer.env,
                dedupe_key=f"holder_notice:{occasion}:{holder['customer_id']}",
                template="holder_notice",
                to_address=address,
                language=holder["language"] or i18n.default_language(),
                context={
                    "account_numbers": holder["account_numbers"],
                    "user_kind": USER_KINDS[user["kind"]],
                    "username": user["username"],
                    "at": clock.now(),
                },
            )
        )
        await audit.record("holder_notice.sent", origin, user_id=user_id, **detail)
    return email_ids
