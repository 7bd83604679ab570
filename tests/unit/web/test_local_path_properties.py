"""Property tests of `local_path`, the guard against open redirects after sign-in: whatever is typed
into `next`, what it keeps is a path on this site as a browser reads it."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.web.forms import local_path

SITE = "https://portal.example/"

# The characters that make redirects leave a site, often, plus anything else now and then.
tricky = st.sampled_from([*"/\\:.@?#% \t\n\r\x00\x0b\x0c", "evil.example", "http", "https:", "%2f"])
targets = st.lists(st.one_of(tricky, st.characters()), max_size=30).map("".join)


def as_a_browser_reads(target: str) -> str:
    """What a browser makes of a Location value (WHATWG URL parsing): leading and trailing C0 controls
    and spaces go, tabs and newlines anywhere are dropped, and a backslash is a slash in http(s) URLs."""
    cleaned = re.sub(r"[\t\n\r]", "", target.strip("".join(map(chr, range(0x21)))))
    return urljoin(SITE, cleaned.replace("\\", "/"))


@settings(max_examples=2000)
@given(targets)
@example("/\t/evil.example")
@example("/\\evil.example")
@example(" //evil.example")
@example("/\n\n/evil.example")
@example("/.//")
@example("/.//evil.example")
def test_a_kept_target_never_leaves_the_site(target: str) -> None:
    kept = local_path(target)
    if kept is None:
        return
    assert kept == target  # kept whole or refused, never rewritten
    assert kept.startswith("/") and not kept.startswith("//")
    resolved = urlsplit(as_a_browser_reads(kept))
    assert (resolved.scheme, resolved.netloc) == ("https", "portal.example"), kept
    assert not resolved.path.startswith("//"), kept


# A plain path: segments of letters, digits and "-_.~", each at least one character long.
segments = st.text(
    alphabet=st.characters(categories=["L", "N"]) | st.sampled_from("-_.~"), min_size=1, max_size=12
)


@settings(max_examples=500)
@given(st.lists(segments, max_size=5), st.booleans())
@example(["bills", "123"], False)
@example(["..", ".", "bills"], True)
def test_plain_paths_on_the_site_are_kept(parts: list[str], trailing_slash: bool) -> None:
    path = "/" + "/".join(parts) + ("/" if trailing_slash and parts else "")
    assert local_path(path) == path


@pytest.mark.parametrize("target", ["/account", "/account/accounts/add?x=1#y", "/"])
def test_local_paths_are_kept(target: str) -> None:
    assert local_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        "",
        "account",
        "//evil.example",
        "///evil.example",
        "https://evil.example",
        "http:/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_other_targets_are_refused(target: str) -> None:
    assert local_path(target) is None
