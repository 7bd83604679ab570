"""Personal details of the signed-in user: change the email address (confirmed from the new address),
change the password (other sessions end), and the online-bill setting of the accounts they may see.

Every function takes the acting `Viewer` and an `Origin` (audit, throttles) explicitly and returns plain
values; the controllers in `profile.py` only parse, call one function and render or redirect.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from asyncpg.exceptions import UniqueViolationError

from portal import audit, clock
from portal.accounts import addresses, passwords, tokens
from portal.accounts.forms import Errors, normalise_login
from portal.audit import Origin
from portal.db import engine as db_engine
from portal.db import fetch
from portal.db.tables import EmailToken, User
from portal.db.tables.auth import TokenPurpose
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.notifications import outbox
from portal.notifications.mailer import Mailer
from portal.viewer import Viewer
from portal.web.errors import Busy
from portal.web.forms import Outcome, email_problem
from portal.web.sessions import SessionStore
from portal.web.throttle import Throttle, count_attempt

# Wrong current passwords, per user, for both forms that ask for it (the sign-in throttle's numbers).
CURRENT_PASSWORD_PER_USER = Throttle("profile:password", 5, dt.timedelta(minutes=15))
# Email change requests per user: each sends two emails, so nobody can use the form to flood an inbox.
EMAIL_CHANGE_PER_USER = Throttle("profile:email", 5, dt.timedelta(hours=1))

WRONG_PASSWORD = gettext_noop("Your current password is not correct")
TOO_MANY_WRONG = gettext_noop("Too many wrong passwords. Wait 15 minutes and try again")
EMAIL_CHANGES_TOO_OFTEN = gettext_noop(
    "You have asked to change your email address several times. Wait an hour and try again"
)
EMAIL_TAKEN_MEANWHILE = gettext_noop(
    "This email address is now used by another user, so we cannot change yours to it. Ask for another change"
)
LINK_MESSAGES = {
    tokens.TokenState.expired: gettext_noop("This link has expired"),
    tokens.TokenState.used: gettext_noop("This link has already been used"),
    tokens.TokenState.replaced: gettext_noop("This link has been replaced by a newer one"),
    tokens.TokenState.unknown: gettext_noop("This link is not valid"),
    tokens.TokenState.valid: "",
}


async def _check_current_password(viewer: Viewer, password: str, origin: Origin, form: str) -> str | None:
    """The message for the "Current password" field, or None when it is right. Wrong answers are counted
    per user; once blocked, not even the right password is checked until the window has passed."""
    if not password:
        return _("Enter your current password")
    subject = str(viewer.user_id)
    counted = await count_attempt((CURRENT_PASSWORD_PER_USER, subject))
    if counted.refused:
        await counted.uncount()
        await audit.record("profile.password_throttled", origin, user_id=viewer.user_id, form=form)
        return _(TOO_MANY_WRONG)
    row = await User.select(User.password_hash).where(User.id == viewer.user_id).first()
    try:
        right = await passwords.verify_password(row["password_hash"] if row else None, password)
    except Busy:  # not checked, so not a guess
        await counted.uncount()
        raise
    if not right:
        await audit.record("profile.password_wrong", origin, user_id=viewer.user_id, form=form)
        return _(WRONG_PASSWORD)
    await CURRENT_PASSWORD_PER_USER.clear(subject)
    return None


def _masked(email: str) -> str:
    """n••••@example.com: enough for the owner to recognise, not a full address in someone else's inbox."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}••••@{domain}"


def _context(mailer: Mailer, viewer: Viewer, **more: object) -> dict[str, object]:
    return {"username": viewer.username, **more}


# --- email address ----------------------------------------------------------------------------------


async def request_email_change(
    viewer: Viewer, new_email: str, current_password: str, mailer: Mailer, origin: Origin
) -> Outcome:
    """Email a confirmation link to the new address and a notice to the current one; nothing changes until
    the link is used. An address another user has gets the same answer here (registering it would not
    be possible, but this page does not say so): its owner is told instead, and no link is sent."""
    errors: Errors = {}
    key = normalise_login(new_email)
    if problem := email_problem(key):
        errors["email"] = problem
    elif key == viewer.email:
        errors["email"] = _("This is already your email address: enter the new one")
    if problem := await _check_current_password(viewer, current_password, origin, "email"):
        errors["current_password"] = problem
    if errors:
        return Outcome(errors)
    subject = str(viewer.user_id)
    counted = await count_attempt((EMAIL_CHANGE_PER_USER, subject))
    if counted.refused:
        await counted.uncount()
        await audit.record("email_change.throttled", origin, user_id=viewer.user_id)
        return Outcome({"email": _(EMAIL_CHANGES_TOO_OFTEN)})
    # A user never activated does not hold its address: using the link will replace it.
    taken = await User.exists().where(
        (User.email == key) & (User.id != viewer.user_id) & User.activated_at.is_not_null()
    )
    request_key = secrets.token_hex(8)  # one request: its emails are stored once
    async with db_engine().transaction():
        if taken:
            new_address_email = await outbox.store_email(
                mailer.env,
                dedupe_key=f"email_change_taken:{request_key}",
                template="email_change_taken",
                to_address=key,
                context=_context(mailer, viewer, sign_in=mailer.link("/sign-in")),
            )
        else:
            token_id, token = await tokens.issue(viewer.user_id, TokenPurpose.email_change, bound=key)
            new_address_email = await outbox.store_email(
                mailer.env,
                dedupe_key=f"email_change_confirm:{token_id}",
                template="email_change_confirm",
                to_address=key,
                context=_context(
                    mailer,
                    viewer,
                    link=mailer.link(f"/account/email/confirm?token={token}"),
                    hours=int(tokens.LIFETIMES[TokenPurpose.email_change].total_seconds() // 3600),
                ),
            )
        notice = await outbox.store_email(
            mailer.env,
            dedupe_key=f"email_change_notice:{request_key}",
            template="email_change_notice",
            to_address=viewer.email,
            context=_context(
                mailer, viewer, new_address=_masked(key), password=mailer.link("/account/password")
            ),
        )
        await audit.record("email_change.requested", origin, user_id=viewer.user_id, address_in_use=taken)
    await outbox.enqueue_email(mailer.queue, new_address_email)
    await outbox.enqueue_email(mailer.queue, notice)
    return Outcome()


@dataclass(frozen=True)
class EmailLink:
    state: tokens.TokenState
    new_email: str = ""


async def email_link(viewer: Viewer, token: str) -> EmailLink:
    """What a confirmation link is worth for this viewer: a link of another user counts as unknown."""
    checked = await tokens.check(token, TokenPurpose.email_change)
    if checked.user_id != viewer.user_id:
        return EmailLink(tokens.TokenState.unknown)
    return EmailLink(checked.state, tokens.bound_value(token))


async def confirm_email_change(viewer: Viewer, token: str, origin: Origin) -> tuple[str, Outcome]:
    """Use the link: the address it carries becomes the user's. Returns the new address."""
    try:
        async with db_engine().transaction():
            checked = await tokens.check(token, TokenPurpose.email_change, for_update=True)
            new_email = tokens.bound_value(token)
            if checked.user_id != viewer.user_id or not new_email:
                return "", Outcome({"link": _(LINK_MESSAGES[tokens.TokenState.unknown])})
            if checked.state != tokens.TokenState.valid or checked.token_id is None:
                return "", Outcome({"link": _(LINK_MESSAGES[checked.state])})
            await addresses.release_unactivated(new_email, origin)
            if await User.exists().where((User.email == new_email) & (User.id != viewer.user_id)):
                return "", Outcome({"link": _(EMAIL_TAKEN_MEANWHILE)})
            await User.update({User.email: new_email}).where(User.id == viewer.user_id)
            await tokens.mark_used(checked.token_id)
            await audit.record("email_change.completed", origin, user_id=viewer.user_id)
    except UniqueViolationError:
        # Another user took the address between the check and the update.
        return "", Outcome({"link": _(EMAIL_TAKEN_MEANWHILE)})
    return new_email, Outcome()


# --- password -----------------------------------------------------------------------------------------


async def change_password(
    viewer: Viewer,
    current_password: str,
    new_password: str,
    sessions: SessionStore,
    mailer: Mailer,
    origin: Origin,
) -> tuple[str | None, Outcome]:
    """Set a new password. Every session of the user ends and this browser gets a new one (returned);
    links still waiting (reset, email change) stop working, and the user is told by email."""
    errors: Errors = {}
    if problem := await _check_current_password(viewer, current_password, origin, "password"):
        errors["current_password"] = problem
    unchanged = passwords.normalise_password(new_password) == passwords.normalise_password(current_password)
    if problem := passwords.password_problem(new_password, username=viewer.username, email=viewer.email):
        errors["new_password"] = problem
    elif not errors and unchanged:
        errors["new_password"] = _("Your new password must be different from your current password")
    if errors:
        return None, Outcome(errors)
    now = clock.now()
    async with db_engine().transaction():
        await User.update({User.password_hash: await passwords.hash_password(new_password)}).where(
            User.id == viewer.user_id
        )
        await EmailToken.update({EmailToken.cancelled_at: now}).where(
            (EmailToken.user == viewer.user_id)
            & EmailToken.purpose.is_in([TokenPurpose.password_reset, TokenPurpose.email_change])
            & EmailToken.used_at.is_null()
            & EmailToken.cancelled_at.is_null()
        )
        await sessions.end_all(viewer.user_id)
        session = await sessions.start(viewer.user_id)
        email_id = await outbox.store_email(
            mailer.env,
            dedupe_key=f"password_changed:{secrets.token_hex(8)}",
            template="password_changed",
            to_address=viewer.email,
            context=_context(mailer, viewer, forgotten=mailer.link("/password/forgotten")),
        )
        await audit.record("password.changed", origin, user_id=viewer.user_id)
    await outbox.enqueue_email(mailer.queue, email_id)
    return session, Outcome()


# --- online bill --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineBill:
    """The online-bill setting as the viewer's accounts have it. Bills are issued per account, so the
    accounts hold the setting (the home page shows it per account); the user's own flag keeps their
    latest answer (registration's tick box, then this page)."""

    accounts: int
    online: int
    user_answer: bool

    @property
    def value(self) -> str:
        """ "yes", "no", or "" when the accounts differ (nothing is preselected then)."""
        if self.accounts == 0:
            return "yes" if self.user_answer else "no"
        if self.online == self.accounts:
            return "yes"
        return "no" if self.online == 0 else ""


async def online_bill(viewer: Viewer) -> OnlineBill:
    rows = await fetch(
        "SELECT COUNT(*) AS accounts, COUNT(*) FILTER (WHERE a.online_bill) AS online"
        ' FROM account_access x JOIN account a ON a.id = x.account WHERE x."user" = {}',
        viewer.user_id,
    )
    user = await User.select(User.online_bill).where(User.id == viewer.user_id).first()
    return OnlineBill(int(rows[0]["accounts"]), int(rows[0]["online"]), bool(user and user["online_bill"]))


async def set_online_bill(viewer: Viewer, answer: str, origin: Origin) -> Outcome:
    """Yes or no for every account the viewer may see, and as the user's own answer."""
    if answer not in {"yes", "no"}:
        return Outcome(
            {"online_bill": _("Select yes if you want your bills online, or no for bills on paper")}
        )
    value = answer == "yes"
    async with db_engine().transaction():
        changed = await fetch(
            "UPDATE account SET online_bill = {} WHERE id IN"
            ' (SELECT account FROM account_access WHERE "user" = {}) RETURNING id',
            value,
            viewer.user_id,
        )
        await User.update({User.online_bill: value}).where(User.id == viewer.user_id)
        await audit.record(
            "online_bill.changed", origin, user_id=viewer.user_id, online_bill=value, accounts=len(changed)
        )
    return Outcome()
