"""Single-use links sent by email: random tokens from `secrets`, stored only as a SHA-256 hash, expiring,
and a newer link of the same purpose cancels the older ones."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum

from portal import clock
from portal.db import fetch
from portal.db.tables import EmailToken
from portal.db.tables.auth import TokenPurpose
from portal.web.tokens import token_hash

LIFETIMES = {
    TokenPurpose.activation: dt.timedelta(hours=24),
    TokenPurpose.password_reset: dt.timedelta(hours=1),
    TokenPurpose.email_change: dt.timedelta(hours=24),
}


class TokenState(StrEnum):
    valid = "valid"
    expired = "expired"
    used = "used"
    replaced = "replaced"
    unknown = "unknown"


@dataclass(frozen=True)
class TokenCheck:
    state: TokenState
    token_id: int | None = None
    user_id: int | None = None


async def issue(user_id: int, purpose: TokenPurpose, *, bound: str = "") -> tuple[int, str]:
    """A new token for the user (its id and its secret); the user's older live tokens of that purpose stop
    working. Call inside the transaction that needs it. `bound` (e.g. a new email address) becomes part of
    the token, so the stored hash covers it: read it back with `bound_value` once `check` says valid."""
    now = clock.now()
    await EmailToken.update({EmailToken.cancelled_at: now}).where(
        (EmailToken.user == user_id)
        & (EmailToken.purpose == purpose)
        & EmailToken.used_at.is_null()
        & EmailToken.cancelled_at.is_null()
    )
    token = secrets.token_urlsafe(32)
    if bound:
        token += "." + base64.urlsafe_b64encode(bound.encode()).decode().rstrip("=")
    rows = await EmailToken.insert(
        EmailToken(
            user=user_id,
            purpose=purpose,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    ).returning(EmailToken.id)
    return int(rows[0]["id"]), token


_SELECT = (
    'SELECT id, "user", expires_at, used_at, cancelled_at FROM email_token'
    " WHERE token_hash = {} AND purpose = {}"
)
_SELECT_FOR_UPDATE = _SELECT + " FOR UPDATE"


async def check(token: str, purpose: TokenPurpose, *, for_update: bool = False) -> TokenCheck:
    """What a link is worth now. With for_update (inside a transaction) the row stays locked, so two
    submits of the same link cannot both use it."""
    if not token or len(token) > 600:
        return TokenCheck(TokenState.unknown)
    query = _SELECT_FOR_UPDATE if for_update else _SELECT
    rows = await fetch(query, token_hash(token), purpose.value)
    if not rows:
        return TokenCheck(TokenState.unknown)
    row = rows[0]
    if row["used_at"] is not None:
        state = TokenState.used
    elif row["cancelled_at"] is not None:
        state = TokenState.replaced
    elif row["expires_at"] <= clock.now():
        state = TokenState.expired
    else:
        state = TokenState.valid
    return TokenCheck(state, row["id"], row["user"])


async def mark_used(token_id: int) -> None:
    await EmailToken.update({EmailToken.used_at: clock.now()}).where(EmailToken.id == token_id)


def bound_value(token: str) -> str:
    """What `issue(bound=…)` put in the token ("" if nothing or malformed). Trust it only after `check`
    found the token valid: the stored hash covers it, so it cannot have been changed."""
    _, dot, encoded = token.partition(".")
    if not dot:
        return ""
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""
