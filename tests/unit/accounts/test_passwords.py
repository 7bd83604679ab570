"""Password rules (NIST SP 800-63B: length, a blocklist, no composition rules) and argon2id hashing."""

import asyncio

import pytest
from argon2 import PasswordHasher

from portal import i18n
from portal.accounts.passwords import (
    TOO_BUSY,
    hash_password,
    normalise_password,
    password_problem,
    verify_password,
)
from portal.web.errors import Busy

TOO_SHORT = "Your password must be at least 8 characters (15 or more is better)"
TOO_LONG = "Your password must be 128 characters or fewer"
TOO_COMMON = "This password is too common and easy to guess: choose another, such as three random words"
OWN_NAME = "Your password must not be your username or email address"


@pytest.mark.parametrize("length", [8, 15, 64, 128])
def test_lengths_from_8_to_128_are_accepted(length: int) -> None:
    password = ("qzmvkrwt" * 20)[:length]
    assert password_problem(password) is None


def test_7_characters_are_refused() -> None:
    assert password_problem("qzmvkrw") == TOO_SHORT


def test_129_characters_are_refused() -> None:
    assert password_problem("qzmvkrwt" * 16 + "q") == TOO_LONG


def test_an_empty_password_is_refused() -> None:
    assert password_problem("") == "Enter a password"


@pytest.mark.parametrize(
    "password", ["password123", "PASSWORD123", "Password123", "iloveyou", "QWERTYUIOP", "12345678"]
)
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    assert password_problem(password) == TOO_COMMON


def test_the_username_or_email_is_refused_whatever_its_case() -> None:
    assert password_problem("Maria.Garcia", username="maria.garcia", email="m@example.com") == OWN_NAME
    assert password_problem("M@Example.com", username="maria.garcia", email="m@example.com") == OWN_NAME
    assert password_problem("maria.garcia.2026", username="maria.garcia", email="m@example.com") is None


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "ríos de cobre y linternas",
        "qzmvkrwt",
        "        x",
        "🙂🙂🙂🙂🙂🙂🙂🙂",
    ],
)
def test_no_composition_rules(password: str) -> None:
    assert password_problem(password) is None


async def test_hashes_are_argon2id_and_salted() -> None:
    first, second = await hash_password("river copper lantern"), await hash_password("river copper lantern")
    assert first.startswith("$argon2id$")
    assert first != second
    assert not PasswordHasher().check_needs_rehash(first)


async def test_verify_password() -> None:
    stored = await hash_password("river copper lantern")
    assert await verify_password(stored, "river copper lantern") is True
    assert await verify_password(stored, "River copper lantern") is False
    assert await verify_password(stored, "") is False
    assert await verify_password("not a hash", "river copper lantern") is False


# "canción" with its "ó" as one character (NFC, most keyboards) and as "o" and an accent (NFD, others).
COMPOSED = "canción de cuna 42"
DECOMPOSED = "cancio\u0301n de cuna 42"


def test_normalising_makes_one_form_of_each_password_and_keeps_its_case_and_spaces() -> None:
    assert COMPOSED != DECOMPOSED
    assert normalise_password(DECOMPOSED) == normalise_password(COMPOSED) == COMPOSED
    assert normalise_password("ｆｕｌｌ ｗｉｄｔｈ") == "full width"
    assert normalise_password("  Río  ") == "  Río  "


async def test_a_password_set_in_one_form_verifies_in_the_other() -> None:
    assert await verify_password(await hash_password(DECOMPOSED), COMPOSED) is True
    assert await verify_password(await hash_password(COMPOSED), DECOMPOSED) is True
    assert await verify_password(await hash_password(COMPOSED), "cancion de cuna 42") is False


def test_the_length_rules_count_the_normalised_password() -> None:
    # 8 code points as typed, 4 characters ("éééé") once composed.
    assert password_problem("e\u0301" * 4) == TOO_SHORT
    # 43 characters as typed, 129 once each "ﬃ" is "ffi".
    assert password_problem("ﬃ" * 43) == TOO_LONG
    assert password_problem("ﬃ" * 3) is None  # 3 as typed, 9 once normalised


DUMMY_PASSWORD = "not a real password: evens out the time of unknown users"  # in passwords.py, public


async def test_without_a_hash_nothing_verifies_not_even_the_dummy_password() -> None:
    assert await verify_password(None, "river copper lantern") is False
    assert await verify_password(None, DUMMY_PASSWORD) is False


async def test_an_empty_hash_verifies_nothing_not_even_the_dummy_password() -> None:
    assert await verify_password("", "river copper lantern") is False
    assert await verify_password("", DUMMY_PASSWORD) is False


async def test_hashing_runs_beside_the_event_loop() -> None:
    """While a hash is computed, the event loop keeps turning (on the loop, the task would finish in one
    step and block everything else meanwhile)."""
    stored = await hash_password("river copper lantern")
    task = asyncio.create_task(verify_password(stored, "river copper lantern"))
    turns = 0
    while not task.done():
        await asyncio.sleep(0)
        turns += 1
    assert await task is True
    assert turns > 10


async def test_past_the_limit_hashing_is_refused_at_once_not_queued() -> None:
    stored = await hash_password("river copper lantern")
    results = await asyncio.gather(
        *(verify_password(stored, "river copper lantern") for _ in range(12)), return_exceptions=True
    )
    refused = [result for result in results if isinstance(result, Busy)]
    assert results.count(True) == 8 and len(refused) == 4
    assert refused[0].status_code == 429 and refused[0].detail == TOO_BUSY
    assert await verify_password(stored, "river copper lantern") is True  # the slots are free again


def test_the_length_messages_are_in_the_pages_language() -> None:
    with i18n.speaking("es"):
        too_short, too_long = password_problem("qzmvkrw"), password_problem("qzmvkrwt" * 16 + "q")
    assert too_short == "La contraseña debe tener al menos 8 caracteres (mejor 15 o más)"
    assert too_long == "La contraseña debe tener 128 caracteres como máximo"
