"""Sending registration's email again ("Send the email again", an expired activation link, "Forgotten your
password?" for a user never activated): a new activation link, or the note to the owner of an address that
already had a user; each limited per user (or draft) and per address, like the first email.
"""

from __future__ import annotations

from portal import audit
from portal.accounts import addresses, throttle
from portal.accounts.services import Draft, store_activation_email, store_taken_email
from portal.audit import Origin
from portal.db import engine as db_engine
from portal.db.tables import User
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.notifications import outbox
from portal.notifications.mailer import Mailer
from portal.web.forms import Outcome
from portal.web.throttle import Counted, count_attempt

RESENT_TOO_OFTEN = gettext_noop("We have sent several emails already. Wait an hour before asking again")


async def resend_activation(user_id: int, mailer: Mailer, origin: Origin) -> Outcome:
    """A new activation link (the older ones stop working), unless the user is active or it was asked for
    too often (for the user, or for its address)."""
    user = await User.select(User.username, User.email, User.activated_at).where(User.id == user_id).first()
    if user is None or user["activated_at"] is not None:
        return Outcome({"resend": _("This username is already activated: sign in")})
    counted = await count_attempt(
        (throttle.RESEND_PER_USER, str(user_id)), *addresses.email_limits(user["email"])
    )
    if counted.refused:
        await counted.uncount()
        return Outcome({"resend": _(await _resend_refusal(counted, origin, user_id=user_id))})
    async with db_engine().transaction():
        email_id = await store_activation_email(user_id, user["username"], user["email"], mailer)
    await outbox.enqueue_email(mailer.queue, email_id)
    await audit.record("activation.resent", origin, user_id=user_id)
    return Outcome()


async def resend_registration_email(draft: Draft, mailer: Mailer, origin: Origin) -> Outcome:
    """ "Send the email again" after registering: the activation link, or, when the address already had a
    user, the note to its owner (throttled alike, so that the two cannot be told apart)."""
    if draft.user_id is not None:
        return await resend_activation(draft.user_id, mailer, origin)
    counted = await count_attempt(
        (throttle.RESEND_PER_USER, f"draft:{draft.id}"), *addresses.email_limits(draft.email)
    )
    if counted.refused:
        await counted.uncount()
        return Outcome({"resend": _(await _resend_refusal(counted, origin))})
    email_id = await store_taken_email(draft, mailer)
    await outbox.enqueue_email(mailer.queue, email_id)
    return Outcome()


async def _resend_refusal(counted: Counted, origin: Origin, *, user_id: int | None = None) -> str:
    """What to say of a resend refused by its limits (the draft's or user's, or the address's), audited
    once, as the limit that refused it (the address's, as registration's own refusal by it is).
    `user_id`: the user whose activation link was asked for."""
    if throttle.RESEND_PER_USER in counted.over:
        await audit.record("activation.resend_throttled", origin, user_id=user_id)
        return RESENT_TOO_OFTEN
    await audit.record("registration.address_throttled", origin, user_id=user_id)
    return addresses.SEVERAL_EMAILS
