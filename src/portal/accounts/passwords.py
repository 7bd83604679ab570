"""Passwords: argon2id hashes, the length rules of NIST SP 800-63B (no composition rules) and a list of
common passwords (zxcvbn's 30,000 most used). Every function here takes the password as typed and
normalises it first (`normalise_password`)."""

from __future__ import annotations

import asyncio
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.web.errors import Busy

MIN_LENGTH = 8
RECOMMENDED_LENGTH = 15
MAX_LENGTH = 128

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# Each hash takes 64 MiB and ~0.1-0.2 s of a core. It runs in these threads (argon2-cffi releases the GIL),
# never on the event loop, which would stall every other request meanwhile. At most _AT_ONCE run, as many
# more may wait; past that a sign-in is refused at once (429) rather than queued behind a growing crowd.
_AT_ONCE = 4
_HASHERS = ThreadPoolExecutor(max_workers=_AT_ONCE, thread_name_prefix="argon2")
_ADMITTED = threading.BoundedSemaphore(_AT_ONCE * 2)
TOO_BUSY = gettext_noop("Too many sign-ins at the moment, try again in a few seconds")
_T = TypeVar("_T")


async def _off_the_loop(work: Callable[..., _T], *args: str) -> _T:
    if not _ADMITTED.acquire(blocking=False):
        raise Busy(_(TOO_BUSY))
    try:
        return await asyncio.get_running_loop().run_in_executor(_HASHERS, work, *args)
    finally:
        _ADMITTED.release()


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a real password: evens out the time of unknown users")


def normalise_password(typed: str) -> str:
    """NFKC, as NIST SP 800-63B asks of a verifier that accepts Unicode: "é" typed as one character or as
    "e" and an accent (what another keyboard or device may send), or a full-width letter, is the same
    password. Nothing else changes: case and spaces count. The demo hashes its users' passwords itself
    (`portal.demo` stands beside this feature, not above it): they are ASCII, which NFKC leaves as it is."""
    return unicodedata.normalize("NFKC", typed)


def password_problem(password: str, *, username: str = "", email: str = "") -> str | None:
    """The message to show next to the field, or None when the password is acceptable. `username` and
    `email`: the user's, as stored."""
    password = normalise_password(password)
    if not password:
        return _("Enter a password")
    if len(password) < MIN_LENGTH:
        return _("Your password must be at least %(min)s characters (%(recommended)s or more is better)") % {
            "min": MIN_LENGTH,
            "recommended": RECOMMENDED_LENGTH,
        }
    if len(password) > MAX_LENGTH:
        return _("Your password must be %(max)s characters or fewer") % {"max": MAX_LENGTH}
    lowered = password.lower()
    if lowered in _common() or lowered.strip() in _common():
        return _("This password is too common and easy to guess: choose another, such as three random words")
    if lowered in {username.lower(), email.lower()}:
        return _("Your password must not be your username or email address")
    return None


async def hash_password(password: str) -> str:
    return await _off_the_loop(_hasher.hash, normalise_password(password))


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists: without a hash, a dummy one is checked."""
    return await _off_the_loop(_verify, stored_hash or "", normalise_password(password))


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False
