"""Property tests of `clean_file_name`, the guard against path traversal in the name a customer gives
a massive download: whatever is typed, the name stays one file in its folder, on Linux and Windows."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.downloads.forms import MAX_NAME, clean_file_name

# Path tricks often, any character now and then.
tricky = st.sampled_from(
    [*'/\\:.*?"<>| \t\n\x00\x7f\u202e\u200b\u2028', "..", "../", "..\\", "C:", ".zip", "CON", "nul", "~"]
)
typed_names = st.lists(st.one_of(tricky, st.characters()), max_size=40).map("".join)


@settings(max_examples=3000)
@given(typed_names)
@example("../../etc/passwd")
@example("..\\..\\Windows\\win.ini")
@example("C:evil")
@example("\u202egnp.exe")
@example("CON.zip")
@example("..zip")
def test_the_name_is_one_safe_file(typed: str) -> None:
    name = clean_file_name(typed)
    if name == "":
        return
    assert name.endswith(".zip") and len(name) <= MAX_NAME + len(".zip")
    for path in (PurePosixPath(name), PureWindowsPath(name)):
        assert path.name == name and path.parent == type(path)("."), name  # no folder, no drive
    assert name not in {".", ".."} and not name.startswith((".", "-", " "))
    assert not any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in name), name
    assert not any(char in '\\/:*?"<>|' for char in name), name
    stem = name[: -len(".zip")]
    assert stem == stem.rstrip(" .-")  # Windows drops trailing dots and spaces
    assert stem.split(".")[0].rstrip().upper() not in {"CON", "PRN", "AUX", "NUL"}
    assert clean_file_name(name) == name  # cleaning a clean name changes nothing


letters = st.characters(categories=["L", "N"]).filter(lambda char: char.lower() not in "zip")


@settings(max_examples=1000)
@given(typed_names, letters, typed_names)
def test_a_name_with_a_letter_or_digit_is_never_empty(before: str, letter: str, after: str) -> None:
    # (Not z, i or p: ".zip" alone is the extension, not a name.)
    name = clean_file_name(before + letter + after)
    assert name.endswith(".zip") and len(name) > len(".zip")
