"""Languages: which ones the portal speaks, which one the current request (or email, or PDF) is in, its
messages (gettext, from ``locale/<language>/LC_MESSAGES/messages.mo``) and its Babel locale for dates,
numbers and money.

English is the source language: every message is written in English in the code and templates, and a
message a catalogue lacks is shown in English. A language is spoken once its compiled catalogue exists
(`make install` compiles them). The language of the work in hand lives in a context variable: the web
layer sets it per request (`portal.web.language`), jobs and commands per email or PDF with `speaking()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"
DOMAIN = "messages"
# The customers live in Spain: every language is formatted as it is written there ("English (Spain)"
# writes 1.234,56 € and 28 Oct 2026, as the bills and the bank do).
TERRITORY = "ES"


def _catalogues() -> dict[str, NullTranslations]:
    found: dict[str, NullTranslations] = {SOURCE_LANGUAGE: NullTranslations()}
    for compiled in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")):
        with compiled.open("rb") as file:
            found[compiled.parents[1].name] = Translations(file, domain=DOMAIN)
    return found


_TRANSLATIONS = _catalogues()
LANGUAGES: tuple[str, ...] = tuple(_TRANSLATIONS)
"""Every language the portal speaks: English first, then each compiled catalogue."""


@dataclass
class _Choice:
    """The current request's language, one object per request: a dependency that runs in a task of its
    own (the signed-in viewer's stored choice) changes it for the whole request."""

    language: str


_default = SOURCE_LANGUAGE
_current: ContextVar[_Choice | None] = ContextVar("language", default=None)


def configure(default_language: str) -> None:
    """The language of whoever has chosen none (the DEFAULT_LANGUAGE setting)."""
    global _default
    if default_language not in LANGUAGES:
        raise ValueError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {default_language!r}")
    _default = default_language


def default_language() -> str:
    return _default


def supported(language: str | None) -> str | None:
    """The language if the portal speaks it ("ES" and "es-ES" are "es"), else None: unknown values are
    ignored, never an error."""
    if not language:
        return None
    base = language.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def negotiate(accept_language: str) -> str | None:
    """The best language of an Accept-Language header that the portal speaks, or None."""
    preferences: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept_language[:1000].split(",")[:50]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if tag and tag != "*" and 0 < quality <= 1:
            preferences.append((-quality, index, tag.strip()))
    # Any region of a language the portal speaks will do ("es-MX" is "es").
    return next((known for *_, tag in sorted(preferences) if (known := supported(tag))), None)


def current() -> str:
    choice = _current.get()
    return choice.language if choice is not None else _default


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Everything inside is in `language` (a language the portal does not speak, or None: the default)."""
    token = _current.set(_Choice(supported(language) or _default))
    try:
        yield
    finally:
        _current.reset(token)


def choose(language: str | None) -> None:
    """Switch the work in hand (inside `speaking`) to `language`, if the portal speaks it."""
    choice, known = _current.get(), supported(language)
    if choice is not None and known:
        choice.language = known


def gettext(message: str) -> str:
    return _TRANSLATIONS[current()].gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _TRANSLATIONS[current()].ngettext(singular, plural, count)


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


@cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(f"{language}_{TERRITORY}")
    except UnknownLocaleError:
        return Locale.parse(language)


def babel_locale(language: str | None = None) -> Locale:
    """The Babel locale of `language` (by default the current one), for dates, numbers and money."""
    return _locale(language or current())


@cache
def language_name(language: str) -> str:
    """A language's name in itself ("English", "Español"), as a language switcher shows it (remembered:
    parsing the locale costs 9 µs, and every page's header names the other languages)."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]
