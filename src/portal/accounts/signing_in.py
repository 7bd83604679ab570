"""Signing in and out, and the forgotten password's email: one answer for every failure, throttled per
address, per account from that address and per account, with the password checked off the event loop
(`passwords`); the email is sent after the answer, which thus takes as long whoever asks."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

import structlog

from portal import audit, clock, i18n
from portal.accounts import passwords, resends, services, throttle, tokens
from portal.accounts.forms import normalise_login
from portal.audit import Origin
from portal.db import engine as db_engine
from portal.db import execute
from portal.db.tables import User
from portal.db.tables.auth import TokenPurpose
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.notifications import outbox
from portal.notifications.mailer import Mailer
from portal.viewer import Viewer
from portal.web.errors import Busy
from portal.web.forms import Errors, Outcome
from portal.web.sessions import SessionStore
from portal.web.throttle import count_attempt, from_address

log = structlog.get_logger("portal.accounts")

SIGN_IN_FAILED = gettext_noop("Enter a correct username and password")
SIGN_IN_THROTTLED = gettext_noop(
    "Too many failed attempts. Wait 15 minutes, or use “Forgotten your password?”"
)


async def sign_in(
    login: str,
    password: str,
    sessions: SessionStore,
    origin: Origin,
    current_session: str | None,
    chosen_language: str | None,
) -> tuple[str | None, Outcome]:
    """The same answer, after the same work, whether or not the user exists. `chosen_language`: the one
    chosen with the switcher before signing in, if any (see `settle_language`)."""
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
    from_here = from_address(origin.ip, account_key)
    counted = await count_attempt(
        (throttle.SIGN_IN_PER_IP, origin.ip),
        (throttle.SIGN_IN_PER_ACCOUNT_AND_IP, from_here),
        then=((throttle.SIGN_IN_PER_ACCOUNT, account_key),),
    )
    if counted.refused:
        await counted.uncount()
        await audit.record("sign_in.throttled", origin, user_id=user["id"] if user else None)
        return None, Outcome({"username": _(SIGN_IN_THROTTLED)})
    stored_hash = user["password_hash"] if user and user["activated_at"] else None
    try:
        right = await passwords.verify_password(stored_hash, password)
    except Busy:  # not checked, so not a guess
        await counted.uncount()
        raise
    if not right or user is None:
        await audit.record("sign_in.failed", origin, user_id=user["id"] if user else None)
        return None, Outcome({"username": _(SIGN_IN_FAILED)})
    # Only failures count. The owner's success forgives the account's failures (in all, and from here), not
    # the address's, which cover every username tried from it, nor those of another address on this
    # account: a guesser's address stays locked.
    await counted.uncount()
    await throttle.SIGN_IN_PER_ACCOUNT_AND_IP.clear(from_here)
    await throttle.SIGN_IN_PER_ACCOUNT.clear(account_key)
    await User.update({User.last_sign_in_at: clock.now()}).where(User.id == user["id"])
    await settle_language(user["id"], chosen_language)
    session = await sessions.start(user["id"], replacing=current_session)
    await audit.record("sign_in.succeeded", origin, user_id=user["id"])
    return session, Outcome()


async def settle_language(user_id: int, chosen: str | None) -> None:
    """On signing in, the language the user sees becomes the one of their emails, bill PDFs and download
    files, which jobs write without a page to ask: the language `chosen` with the switcher before signing
    in, if any (an explicit choice beats the stored one); else the one stored; else the language of the
    page they signed in on (the browser's, or the default). README, Languages."""
    await execute(
        "UPDATE portal_user SET language = COALESCE({}, language, {}) WHERE id = {}",
        chosen,
        i18n.current(),
        user_id,
    )


async def sign_out(viewer: Viewer, token: str, sessions: SessionStore, origin: Origin) -> None:
    await sessions.end(token)
    await audit.record("sign_out", origin, user_id=viewer.user_id)


AfterTheAnswer = Callable[[], Awaitable[None]]
"""Work left to do once the answer is sent (`request_password_reset`)."""


async def request_password_reset(
    login: str, mailer: Mailer, origin: Origin
) -> tuple[Outcome, AfterTheAnswer | None]:
    """What was typed and the address's limit, checked while the person waits: their messages (and no
    more to do), or none and the rest, to run after the answer is sent (`_send_reset`). The page says the
    same whatever the rest does, and the answer's time must not tell either: the rest takes longer for a
    user that exists (a token and an email, stored and queued), so none of it runs before the answer."""
    key = normalise_login(login)
    if not key:
        return Outcome({"login": _("Enter your username or email address")}), None
    reset_here = await count_attempt((throttle.RESET_PER_IP, origin.ip))
    if reset_here.refused:
        await reset_here.uncount()
        await audit.record("password_reset.throttled", origin)
        return Outcome({"login": _(services.TOO_MANY_REQUESTS)}), None
    return Outcome(), functools.partial(_send_reset_logged, key, mailer, origin)


async def _send_reset_logged(key: str, mailer: Mailer, origin: Origin) -> None:
    """Nobody waits for the answer any more: a failure is logged (with the request's id, as any line
    logged while serving it), never shown."""
    try:
        await _send_reset(key, mailer, origin)
    except Exception:
        log.exception("password_reset.failed")


async def _send_reset(key: str, mailer: Mailer, origin: Origin) -> None:
    """Send a reset link if the user exists and is active, or a new activation link if it was never
    activated; each under its own limits."""
    user = (
        await User.select(User.id, User.email, User.username, User.activated_at)
        .where((User.username == key) | (User.email == key))
        .first()
    )
    if user is None:
        await audit.record("password_reset.unknown_user", origin)
        return
    if user["activated_at"] is None:
        # No password to reset yet: a new activation link instead, under activation's own limits. Whoever
        # lost the first one comes here (registering their bill again says to).
        await resends.resend_activation(user["id"], mailer, origin)
        return
    for_user = await count_attempt((throttle.RESET_PER_USER, str(user["id"])))
    if for_user.refused:
        await for_user.uncount()
        await audit.record("password_reset.throttled", origin, user_id=user["id"])
        return
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
