"""Path and query values, bounded in one place: ids that fit the database's integer columns, numbers
typed in ASCII digits, and no control characters anywhere in the address (PostgreSQL refuses NUL, and no
link of ours ever holds one)."""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, ValidationException
from litestar.handlers.base import BaseRouteHandler

from portal.web.forms import has_control_characters

MAX_ID = 2**31 - 1
"""Ids are PostgreSQL `integer`s (serial): a larger one is no row at all, not a database error."""

_LONGEST_PATH_VALUE = 200  # our keys, tokens and file names are far shorter; the file system refuses 256
_ASCII_NUMBER = re.compile(r"[0-9]{1,18}")  # str.isdigit() accepts "²³", which int() refuses


def parse_number(text: str, *, high: int) -> int | None:
    """A whole number from 0 to `high` written in ASCII digits, or None."""
    if not _ASCII_NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if number <= high else None


def parse_id(text: str) -> int | None:
    number = parse_number(text, high=MAX_ID)
    return number if number else None


async def bounded_address(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """App-wide guard, run before any handler reads its parameters: an id out of range, or a path value
    with a control character, or too long, names nothing (404); a query value with a control character
    is a broken address (400). Async although it never awaits: Litestar runs a sync guard in a worker
    thread, a hand-off that cost more than the guard itself on every request."""
    for value in connection.path_params.values():
        if isinstance(value, int):
            if not 0 < value <= MAX_ID:
                raise NotFoundException()
        elif len(text := str(value)) > _LONGEST_PATH_VALUE or has_control_characters(text):
            raise NotFoundException()
    if any(has_control_characters(key + value) for key, value in connection.query_params.multi_items()):
        raise ValidationException(detail="control characters in the query")
