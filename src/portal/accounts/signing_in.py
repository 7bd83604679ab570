"""Signing in and out, and the forgotten password's email: one answer for every failure, throttled per
account and per address, with the password checked off the event loop (`passwords`)."""

from __future__ import annotations

from portal import audit, clock
from portal.accounts import passwords, throttle, tokens
from portal.accounts.forms import normalise_login
from portal.audit import Origin
from portal.db import engine as db_engine
from portal.db.tables import User
from portal.db.tables.auth import TokenPurpose
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.notifications import outbox
from portal.notifications.mailer import Mailer
from portal.viewer import Viewer
from portal.web.forms import Errors, Outcome
from portal.web.sessions import SessionStore

SIGN_IN_FAILED = gettext_noop("Enter a correct username and password")
SIGN_IN_THROTTLED = gettext_noop(
    "Too many failed attempts. Wait 15 minutes, or use “Forgotten your password?”"
)


async def sign_in(
    login: str, password: str, sessions: SessionStore, origin: Origin, current_session: str | None
) -> tuple[str | None, Outcome]:
    """The same answer, after the same work, whether or not the user exists."""
    key = normalise_login(login)
    if not key or not password:
        errors: Errors = {}
        if not key:
            errors["username"] = _("Enter your username or email address")
        if not password:
            errors["password"] = _("Enter your password")
        return None, Outcome(errors)
    user = (
        await User.select(User.id, User.password_hash, User.activated_at, User.username)
        .where((User.username == key) | (User.email == key))
        .first()
    )
    # Count per user, so that switching between username and email does not reset the count.
    account_key = f"user:{user['id']}" if user else f"login:{key}"
    if await throttle.SIGN_IN_PER_IP.blocked(origin.ip) or await throttle.SIGN_IN_PER_ACCOUNT.blocked(
        account_key
    ):
        await audit.record("sign_in.throttled", origin, user_id=user["id"] if user else None)
        return None, Outcome({"username": _(SIGN_IN_THROTTLED)})
    stored_hash = user["password_hash"] if user and user["activated_at"] else None
    if not await passwords.verify_password(stored_hash, password) or user is None:
        await throttle.SIGN_IN_PER_IP.hit(origin.ip)
        await throttle.SIGN_IN_PER_ACCOUNT.hit(account_key)
        await audit.record("sign_in.failed", origin, user_id=user["id"] if user else None)
        return None, Outcome({"username": _(SIGN_IN_FAILED)})
    await throttle.SIGN_IN_PER_ACCOUNT.clear(account_key)
    await throttle.SIGN_IN_PER_IP.clear(origin.ip)  # others behind the address were not guessing
    await User.update({User.last_sign_in_at: clock.now()}).where(User.id == user["id"])
    session = await sessions.start(user["id"], replacing=current_session)
    await audit.record("sign_in.succeeded", origin, user_id=user["id"])
    return session, Outcome()


async def sign_out(viewer: Viewer, token: str, sessions: SessionStore, origin: Origin) -> None:
    await sessions.end(token)
    await audit.record("sign_out", origin, user_id=viewer.user_id)


async def request_password_reset(login: str, mailer: Mailer, origin: Origin) -> Outcome:
    """Send a reset link if the user exists and is active. The page says the same either way."""
    key = normalise_login(login)
    if not key:
        return Outcome({"login": _("Enter your username or email address")})
    if await throttle.RESET_PER_IP.blocked(origin.ip):
        await audit.record("password_reset.throttled", origin)
        return Outcome({"login": _("Too many requests. Wait an hour and try again")})
    await throttle.RESET_PER_IP.hit(origin.ip)
    user = (
        await User.select(User.id, User.email, User.username, User.activated_at)
        .where((User.username == key) | (User.email == key))
        .first()
    )
    if user is None or user["activated_at"] is None:
        await audit.record("password_reset.unknown_user", origin)
        return Outcome()
    if await throttle.RESET_PER_USER.blocked(str(user["id"])):
        await audit.record("password_reset.throttled", origin, user_id=user["id"])
        return Outcome()
    await throttle.RESET_PER_USER.hit(str(user["id"]))
    async with db_engine().transaction():
        token_id, token = await tokens.issue(user["id"], TokenPurpose.password_reset)
        email_id = await outbox.store_email(
            mailer.env,
            dedupe_key=f"password_reset:{token_id}",
            template="password_reset",
            to_address=user["email"],
            context={
                "username": user["username"],
                "link": mailer.link(f"/password/reset?token={token}"),
            },
        )
    await outbox.enqueue_email(mailer.queue, email_id)
    await audit.record("password_reset.requested", origin, user_id=user["id"])
    return Outcome()
