"""Languages: every message of the code and templates is translated in every catalogue, and the choice of
language falls back quietly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from portal import i18n
from portal.templating import make_environment

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "gettext_noop": None}


def _extracted() -> dict[str, list[str]]:
    """Every message id (a plural by its singular) with where it is, read as `make messages-extract` does."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, list[str]] = {}
    for folder in ("src", "jobs", "templates"):
        for filename, line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
        ):
            singular = message[0] if isinstance(message, tuple) else message
            found.setdefault(singular, []).append(f"{folder}/{filename}:{line}")
    return found


CATALOGUES = sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))


def test_there_is_a_spanish_catalogue_and_it_is_compiled():
    assert i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po" in CATALOGUES
    assert i18n.LANGUAGES == ("en", "es"), "run `make install` to compile the catalogues"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parents[1].name)
def test_every_message_is_translated(path):
    with path.open("rb") as file:
        catalogue = read_po(file)
    problems = []
    for message_id, places in sorted(_extracted().items()):
        entry = catalogue.get(message_id)
        strings = (
            entry.string
            if entry is not None and isinstance(entry.string, tuple)
            else (entry and entry.string,)
        )
        if entry is None or not all(strings):
            problems.append(f"untranslated: {message_id!r} ({places[0]})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message_id!r} ({places[0]})")
    for entry, errors in catalogue.check():  # placeholders that do not match the English, and the like
        problems.extend(f"{entry.id!r}: {error}" for error in errors)
    assert not problems, f"{path}: run `make messages-update`, translate, then `make install`:\n" + "\n".join(
        problems
    )


def test_no_message_is_a_piece_of_a_sentence():
    """A message that starts or ends with a space is glued to others or to a value: translators cannot
    write it as a whole sentence in their word order. Such a sentence is one message with placeholders."""
    pieces = [
        f"{message_id!r} ({places[0]})"
        for message_id, places in sorted(_extracted().items())
        if message_id != message_id.strip()
    ]
    assert not pieces, "whole sentences with %(name)s placeholders instead:\n" + "\n".join(pieces)


# The issuer's name ("Aguas de Ejemplo, S.A.") and a company holder's ("Talleres Ejemplo, S.L.", greeted by
# %(name)s) end with a full stop of their own: a sentence that ends with one would end "S.A..".
_NAME_ENDS_SENTENCE = re.compile(r"%\((?:issuer|name)\)s(?:</\w+>)*\.")


def test_no_sentence_ends_with_a_name():
    """In English or in any translation: the name goes inside the sentence (a greeting ends with no stop)."""
    found = [
        f"{message_id!r} ({places[0]})"
        for message_id, places in sorted(_extracted().items())
        if _NAME_ENDS_SENTENCE.search(message_id)
    ]
    for path in CATALOGUES:
        with path.open("rb") as file:
            catalogue = read_po(file)
        for entry in catalogue:
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            language = path.parents[1].name
            found += [f"{language}: {text!r}" for text in strings if _NAME_ENDS_SENTENCE.search(text)]
    assert not found, "a name at the end of a sentence doubles its full stop:\n" + "\n".join(found)


_MARKUP = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1>|<[^>]*>", re.S)
_WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
_ATTRIBUTE = re.compile(r'[\w-]+="[^"]*"')  # a tag's attributes written by a block (`body_attributes`)
_NOT_WORDS = {"CIF"}  # the issuer's tax number's name, the same in every language


def _words_outside_the_catalogue(source: str) -> list[str]:
    """A template's text written as it is, outside `{{ }}` and `{% %}` and outside the tags (names and
    attributes): each line with a word."""
    environment = make_environment()
    text = "".join(
        value if kind == "data" else "\0"
        for _line, kind, value in environment.lex(source)
        if kind in {"data", "variable_begin", "block_begin"}
    )
    text = _ATTRIBUTE.sub("", _MARKUP.sub(lambda tag: "\n" * tag.group(0).count("\n"), text))
    return [
        line.replace("\0", "…").strip()
        for line in text.splitlines()
        if set(_WORD.findall(line)) - _NOT_WORDS and "/" not in line  # an address such as /sign-in
    ]


def test_no_template_writes_words_outside_the_catalogue():
    """Every word a page, email or PDF shows goes through gettext: words written straight into a template
    stay English on the Spanish pages ("Queued: waiting to start" in Descargas solicitadas)."""
    found = [
        f"{path.relative_to(ROOT)}: {line}"
        for path in sorted((ROOT / "templates").rglob("*"))
        if path.suffix in {".html", ".txt"}
        for line in _words_outside_the_catalogue(path.read_text())
    ]
    assert not found, "put these through _():\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("en-GB,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,es-MX;q=0.5", "es"),  # any region of a language the portal speaks
        ("fr;q=1.0,en;q=0.2,es;q=0.7", "es"),  # by quality, not by order
        ("es;q=0", None),  # "not Spanish"
        ("es;q=abc,en", "en"),  # a broken entry is skipped
        ("*", None),
        ("", None),
        ("x" * 5000, None),
    ],
)
def test_accept_language_picks_the_best_language_the_portal_speaks(header, expected):
    assert i18n.negotiate(header) == expected


def test_an_unknown_language_falls_back_to_the_default():
    with i18n.speaking("klingon"):
        assert i18n.current() == i18n.default_language() == "en"
    with i18n.speaking("es-ES"):
        i18n.choose("klingon")  # ignored
        assert i18n.current() == "es"
        i18n.choose("EN")
        assert i18n.current() == "en"


def test_a_message_missing_from_the_catalogue_is_shown_in_english():
    with i18n.speaking("es"):
        assert i18n.gettext("A message no catalogue has") == "A message no catalogue has"
        assert i18n.gettext("Payment details") == "Datos de pago"


def test_the_default_language_must_be_one_the_portal_speaks():
    with pytest.raises(ValueError, match="DEFAULT_LANGUAGE must be one of en, es"):
        i18n.configure("fr")
