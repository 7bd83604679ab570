"""The file is read in chunks: huge lines, empty files, bad encodings and cut files give clear lines."""

from __future__ import annotations

import io

import pytest

from portal.imports.reader import CHUNK, MAX_LINE, ReadError, Source
from tests.unit.imports.import_samples import FailingDisk


def lines(data: bytes) -> list[tuple[int, str, str | None, bool]]:
    return [
        (line.number, line.text, line.error and f"{line.error.field}: {line.error.reason}", line.unterminated)
        for line in Source(io.BytesIO(data)).lines()
    ]


def test_lines_are_numbered_as_an_editor_shows_them_and_blank_ones_skipped() -> None:
    assert lines(b'{"a": 1}\n\n  \n{"b": 2}\r\n') == [
        (1, '{"a": 1}', None, False),
        (4, '{"b": 2}', None, False),
    ]


def test_an_empty_file_has_no_lines() -> None:
    assert lines(b"") == []


def test_a_10_mb_line_is_reported_without_being_kept_and_the_next_line_still_reads() -> None:
    huge = b'{"type": "bill", "number": "' + b"9" * (10 * 1024 * 1024) + b'"}\n'
    source = Source(io.BytesIO(b'{"a": 1}\n' + huge + b'{"b": 2}\n'))
    read = list(source.lines())
    assert [(line.number, line.text) for line in read] == [(1, '{"a": 1}'), (2, ""), (3, '{"b": 2}')]
    assert read[1].error is not None and read[1].error.field == "line"
    assert "longer than 1024 KiB" in read[1].error.reason
    assert source.bytes_read == len(huge) + 18


def test_a_line_just_under_the_limit_is_read() -> None:
    text = b'"' + b"x" * (MAX_LINE - 2) + b'"'
    assert lines(text + b"\n")[0][2] is None


def test_a_line_that_is_not_utf8() -> None:
    assert lines('{"name": "Jos\u00e9"}\n'.encode("latin-1") + b'{"b": 2}\n') == [
        (1, "", "line: not UTF-8 (byte 14 of the line)", False),
        (2, '{"b": 2}', None, False),
    ]


def test_a_character_split_between_chunks_is_read_whole() -> None:
    text = ("x" * (CHUNK - 1) + "é").encode()
    assert lines(text + b"\n")[0][1].endswith("é")


def test_a_file_cut_in_the_middle_of_a_line_marks_that_line() -> None:
    assert lines(b'{"a": 1}\n{"b": ') == [(1, '{"a": 1}', None, False), (2, '{"b": ', None, True)]


def test_the_sha256_is_of_the_whole_file() -> None:
    import hashlib

    data = b'{"a": 1}\n' * 10_000
    source = Source(io.BytesIO(data))
    list(source.lines())
    assert source.sha256.hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_byte_order_mark_is_not_part_of_the_first_line() -> None:
    assert lines(b'\xef\xbb\xbf{"a": 1}\n') == [(1, '{"a": 1}', None, False)]


def test_a_read_error_gives_the_lines_before_it_then_says_at_which_line_it_stopped() -> None:
    data = b'{"a": 1}\n{"b": 2}\n{"c": 3}\n'
    source = Source(FailingDisk(data, good=14))  # the first line and part of the second
    read = []
    with pytest.raises(ReadError) as stopped:
        read.extend(line.text for line in source.lines())
    assert read == ['{"a": 1}']
    assert stopped.value.line == 2
    assert str(stopped.value) == (
        "line 2: line: the file cannot be read from this line on (Input/output error)"
    )
