"""Steps that tests of every feature take, written once: the demo users, signing in, and reading a page's
error summary."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.conftest import submit

ANA = ("ana.demo", "demo-password-ana")
"""Ana Martínez Ruiz (DNI 33127845W), a private user with 2 accounts."""
ADMIN = ("admin.demo", "demo-password-admin")
"""The administrator of Comunidad de Propietarios Edificio Las Palmeras (5 accounts)."""
ANA_IDENTITY = "33127845W"

_SUMMARY = re.compile(r'<ul class="error-summary__list">(.*?)</ul>', re.S)
_FIELD_ERROR = re.compile(
    r'<p id="([\w-]+)-error" class="error-message"><span class="visually-hidden">[^<]*</span> ([^<]+)</p>'
)
_TAG = re.compile(r"<[^>]+>")


async def submit_sign_in(client: Any, login: str, password: str, next_path: str | None = None) -> Any:
    """The "Sign in" form posted, whatever comes of it."""
    data = {"username": login, "password": password}
    if next_path is not None:
        data["next"] = next_path
    return await submit(client, "/sign-in", data)


async def sign_in(client: Any, who: tuple[str, str] = ANA) -> None:
    """Signed in as a demo user (the session cookie stays on the client)."""
    response = await submit_sign_in(client, *who)
    assert response.status_code == 303, response.text


_LANG = re.compile(r'<html lang="([a-z]+)">')


def page_language(page: str) -> str:
    """The language a page says it is in (its `<html lang>`)."""
    match = _LANG.search(page)
    assert match is not None, page[:200]
    return match.group(1)


def error_messages(page: str) -> list[str]:
    """The messages of a page's error summary, as text (empty when the page shows no problem)."""
    match = _SUMMARY.search(page)
    if match is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    return [html.unescape(_TAG.sub("", item)).strip() for item in items]


def field_errors(page: str) -> dict[str, str]:
    """The messages shown next to a page's fields, by field id (empty when none)."""
    return {field: html.unescape(message) for field, message in _FIELD_ERROR.findall(page)}


def error_links_nowhere(page: str) -> list[str]:
    """The error summary's links (`#id`) to no element of the page: each should land on the field to fix."""
    match = _SUMMARY.search(page)
    targets = re.findall(r'href="#([^"]+)"', match.group(1)) if match else []
    return [target for target in targets if not re.search(rf'(?<![\w-])id="{re.escape(target)}"', page)]
