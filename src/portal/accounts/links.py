"""Activation and password-reset links: what state a link is in, and setting the password with one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal import audit, clock
from portal.accounts import passwords, tokens
from portal.accounts.holder_notice import store_holder_notices
from portal.accounts.resends import resend_activation
from portal.accounts.signing_in import settle_language
from portal.audit import Origin
from portal.db import engine as db_engine
from portal.db.tables import User
from portal.db.tables.auth import TokenPurpose
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.notifications import outbox
from portal.notifications.mailer import Mailer
from portal.web.forms import Outcome
from portal.web.sessions import SessionStore


@dataclass(frozen=True)
class LinkState:
    state: tokens.TokenState
    user_id: int | None = None
    username: str = ""


async def link_state(token: str, purpose: TokenPurpose) -> LinkState:
    checked = await tokens.check(token, purpose)
    if checked.user_id is None:
        return LinkState(checked.state)
    user = await User.select(User.username).where(User.id == checked.user_id).first()
    return LinkState(checked.state, checked.user_id, user["username"] if user else "")


async def set_password_with_link(
    token: str,
    purpose: TokenPurpose,
    password: str,
    sessions: SessionStore,
    origin: Origin,
    current_session: str | None,
    chosen_language: str | None,
    mailer: Mailer,
) -> tuple[str | None, Outcome]:
    """Use an activation or reset link to set the password; the user is then signed in with a new session
    (all their other sessions end), their language settled as signing in does. Activation makes the
    user's access usable, so the holders of its accounts are told (`holder_notice`). Returns the new
    session token."""
    notices: list[int] = []
    async with db_engine().transaction():
        checked = await tokens.check(token, purpose, for_update=True)
        if checked.state != tokens.TokenState.valid or checked.user_id is None or checked.token_id is None:
            return None, Outcome({"link": _(_LINK_MESSAGES[checked.state])})
        user = await User.select(User.username, User.email).where(User.id == checked.user_id).first()
        assert user is not None
        if problem := passwords.password_problem(password, username=user["username"], email=user["email"]):
            return None, Outcome({"password": problem})
        now = clock.now()
        values: dict[Any, Any] = {User.password_hash: await passwords.hash_password(password)}
        if purpose == TokenPurpose.activation:
            values[User.activated_at] = now
        await User.update(values).where(User.id == checked.user_id)
        await tokens.mark_used(checked.token_id)
        await settle_language(checked.user_id, chosen_language)
        await sessions.end_all(checked.user_id)
        session = await sessions.start(checked.user_id, replacing=current_session)
        event = "activation.completed" if purpose == TokenPurpose.activation else "password_reset.completed"
        await audit.record(event, origin, user_id=checked.user_id)
        if purpose == TokenPurpose.activation:
            notices = await store_holder_notices(
                checked.user_id, mailer, origin, occasion=f"activation:{checked.user_id}"
            )
    for email_id in notices:
        await outbox.enqueue_email(mailer.queue, email_id)  # after the commit: the worker must find it
    return session, Outcome()


STILL_WORKS = gettext_noop("This link still works")
_LINK_MESSAGES = {
    tokens.TokenState.expired: gettext_noop("This link has expired"),
    tokens.TokenState.used: gettext_noop("This link has already been used"),
    tokens.TokenState.replaced: gettext_noop("A newer link has been sent: use the link in the latest email"),
    tokens.TokenState.unknown: gettext_noop("This link is not valid: check you copied the whole address"),
    tokens.TokenState.valid: "",
}


async def resend_expired_activation(token: str, mailer: Mailer, origin: Origin) -> Outcome:
    """An expired activation link may ask for a new one: it proves who received the first email."""
    checked = await tokens.check(token, TokenPurpose.activation)
    if checked.state != tokens.TokenState.expired or checked.user_id is None:
        return Outcome({"link": _(_LINK_MESSAGES.get(checked.state) or STILL_WORKS)})
    return await resend_activation(checked.user_id, mailer, origin)
