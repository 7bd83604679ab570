"""Form posts: every form in the portal is URL-encoded (hypermedia forms, with or without htmx)."""

import re
from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
"""A posted form as a dict; a field posted several times (checkboxes of one name) comes as a list."""


# C0 control characters and DEL: nobody types them, no field of ours is multi-line, and PostgreSQL
# refuses NUL in text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    return _CONTROL_CHARACTERS.search(text) is not None


def _text(value: Any) -> str:
    """What was typed, without control characters, stripped: the one reader of every posted value."""
    return _CONTROL_CHARACTERS.sub("", str(value)).strip()


def field(data: dict[str, Any], name: str) -> str:
    """A form value as text; kept whole otherwise so that the page can show back what was typed (the
    app's request size limit bounds it)."""
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return _text(value)


def values(data: dict[str, Any], name: str) -> list[str]:
    """Every value posted under a name (checkboxes, repeated hidden inputs)."""
    value = data.get(name, [])
    items = value if isinstance(value, list) else [value]
    return [text for text in map(_text, items) if text]


def password_field(data: dict[str, Any], name: str) -> str:
    """A password as typed (spaces count, nothing is stripped), bounded like the other fields."""
    return str(data.get(name, ""))[:1000]
