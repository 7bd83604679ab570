"""Passwords: argon2id hashes, the length rules of NIST SP 800-63B (no composition rules) and a list of
common passwords (zxcvbn's 30,000 most used)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
RECOMMENDED_LENGTH = 15
MAX_LENGTH = 128

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a real password: evens out the time of unknown users")


def password_problem(password: str, *, username: str = "", email: str = "") -> str | None:
    """The message to show next to the field, or None when the password is acceptable."""
    if not password:
        return "Enter a password"
    if len(password) < MIN_LENGTH:
        return (
            f"Your password must be at least {MIN_LENGTH} characters ({RECOMMENDED_LENGTH} or more is better)"
        )
    if len(password) > MAX_LENGTH:
        return f"Your password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in _common() or lowered.strip() in _common():
        return "This password is too common and easy to guess: choose another, such as three random words"
    if lowered in {username.lower(), email.lower()}:
        return "Your password must not be your username or email address"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists: without a hash, a dummy one is checked."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False
