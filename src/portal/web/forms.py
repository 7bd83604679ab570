"""Form posts: every form in the portal is URL-encoded (hypermedia forms, with or without htmx); what a
step makes of them is its `Errors`, by field id in page order, inside an `Outcome`.

A form's answers come in a pair of dataclasses: `<Thing>Form`, the fields as typed (shown back on errors),
and `<Thing>`, what the checks made of them (e.g. `BillDetailsForm` -> `BillDetails`)."""

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Annotated, Any
from urllib.parse import urljoin, urlsplit

from litestar.enums import RequestEncodingType
from litestar.params import Body

from portal.i18n import gettext as _

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
"""A posted form as a dict; a field posted several times (checkboxes of one name) comes as a list."""
Errors = dict[str, str]
"""Messages by field id, in page order ("" for the page as a whole)."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass
class Outcome:
    """What a step did: the messages to show (none means it went through)."""

    errors: Errors = dataclass_field(default_factory=dict)
    postponed: bool = False
    """It went through, but its work waits: the job queue did not answer (a sweep queues it later)."""

    @property
    def ok(self) -> bool:
        return not self.errors


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


def email_problem(email: str) -> str | None:
    """The message for an address, or None. Give it the address as it will be stored: the length is
    counted in UTF-8 bytes, as SMTP counts it (RFC 5321 and 6531: at most 254 in a path), which also keeps
    it within every column of 254 characters."""
    if not email:
        return _("Enter your email address")
    if len(email.encode()) > 254 or not _EMAIL.match(email):
        return _("Enter an email address in the correct format, like name@example.com")
    return None


def local_path(target: str) -> str | None:
    """A redirect target (after sign-in, or the language switcher), only if it stays on this site.
    Browsers drop tabs and newlines from a URL and read a backslash as a slash ("/\\t/evil.example" is
    "//evil.example" to them), so a target with either, or with any other character that is not
    printable, is refused. So is one whose dot segments collapse to a path starting with "//"
    ("/.//evil.example"): no page of ours has one, and the same text copied into a link would name
    another host."""
    if not (target.startswith("/") and not target.startswith("//") and "\\" not in target):
        return None
    if not target.isprintable() or urlsplit(urljoin("http://site/", target)).path.startswith("//"):
        return None
    return target
