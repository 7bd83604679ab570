"""Checks of single settings' values, apart from the settings themselves (portal.settings) to keep each
module short: pure functions that say whether a value will do."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from urllib.parse import urlsplit


def bad_forwarded_entry(value: str) -> str | None:
    """The first entry of FORWARDED_ALLOW_IPS that is neither an address, a network nor `*`, if any.
    uvicorn takes any other (10.0.0.0/33, a proxy's host name) as a literal that no client address ever
    equals: the proxy's headers would then be ignored without a word, and every customer would share the
    proxy's address in the per-address throttles."""
    for entry in (entry.strip() for entry in value.split(",")):
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return entry
    return None


def is_merchant_key(secret: str) -> bool:
    """Whether `secret` decodes as payments.redsys does before it derives each order's key: strict Base64
    of a 3DES key of 24 bytes (Redsys' keys; 3DES would also take 8 or 16, degenerate ones)."""
    try:
        return len(base64.b64decode(secret, validate=True)) == 24
    except (binascii.Error, ValueError):
        return False


def estimated_bits(key: str) -> int:
    """A floor that refuses keys a person made up ('aaaa…', 'changeme…'): each character counts the bits of
    the alphabet it seems drawn from, the number of different characters rounded up to a power of two.
    Rounding up matters: 32 random hex characters (128 bits) rarely show all 16 digits."""
    return len(key) * math.ceil(math.log2(len(set(key)))) if key else 0


def redacted(url: str) -> str:
    """The URL as it may be printed or logged: its password, if any, replaced by ***, whether given before
    the host or as a parameter (`?password=…`, `sslpassword=…`, which libpq and asyncpg read too)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(a URL that cannot be read)"
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}"
        url = parts._replace(netloc=netloc).geturl()
    if not parts.query:
        return url
    # Replaced in the text: geturl() would drop the empty host of postgresql:///db?host=/run/postgresql.
    before, _, after = url.partition("?")
    query = re.sub(r"(^|&)([^=&]*password)=[^&]*", r"\1\2=***", parts.query, flags=re.IGNORECASE)
    return f"{before}?{query}{after.removeprefix(parts.query)}"


def is_web_address(url: str) -> bool:
    """Whether `url` is an http:// or https:// address with a host."""
    try:
        parts = urlsplit(url)
        return parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:
        return False
