"""Lines of a JSON Lines file, read in chunks so that memory does not grow with the file.

A line longer than `MAX_LINE` is not kept: it is skipped up to its end and reported, so a broken export
with one huge line (or no line ends at all) costs a chunk of memory, not the file's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import msgspec

from portal.imports.records import LineError

MAX_LINE = 1 << 20
"""1 MiB: a bill of 50 lines is about 10 KiB."""
CHUNK = 1 << 16
_TOO_LONG = f"longer than {MAX_LINE // 1024} KiB: not read"
_CR_ENDS = "line ends must be \\n, not CR alone (as old Mac files have): convert the file's line ends"
"""A line with a CR that does not end it: the file's lines end in CR, so its records run together in one
"line" (which read as "not valid JSON", or as a file cut short, or a line too long)."""


class ReadError(Exception):
    """The file could not be read past a point (an I/O error, a network file system gone): the line
    being read then is `line`, and nothing from it on was read."""

    def __init__(self, line: int, cause: str) -> None:
        self.line = line
        self.reason = f"the file cannot be read from this line on ({cause})"
        super().__init__(f"line {line}: line: {self.reason}")


class Line(msgspec.Struct, frozen=True):
    """One line of the file (a frozen msgspec struct: as immutable as a frozen dataclass, and a seventh
    of the time to make, once a line)."""

    number: int
    text: str
    """Decoded, without its line end; "" when `error` is set."""
    error: LineError | None = None
    unterminated: bool = False
    """The file ends inside this line (no line end): if it is not whole JSON, the file was cut."""


@dataclass
class Source:
    """A binary stream read once: its lines, and as it goes, its size and SHA-256."""

    stream: BinaryIO
    bytes_read: int = 0
    sha256: hashlib._Hash = field(default_factory=hashlib.sha256)

    def _chunks(self) -> Iterator[bytes]:
        while chunk := self.stream.read(CHUNK):
            self.bytes_read += len(chunk)
            self.sha256.update(chunk)
            yield chunk

    def lines(self) -> Iterator[Line]:
        """Every non-blank line, numbered from 1 (blank lines count, as an editor shows them); ReadError
        when the file cannot be read on (the lines before it were all given)."""
        number, pending = 0, bytearray()
        dropped: str | None = None  # why the line being read is not kept, once longer than MAX_LINE
        chunks = self._chunks()
        while True:
            try:
                chunk = next(chunks, b"")
            except OSError as exc:
                raise ReadError(number + 1, exc.strerror or str(exc)) from exc
            if not chunk:
                break
            start = 0
            while (end := chunk.find(b"\n", start)) >= 0:
                number += 1
                if dropped is None:
                    pending += chunk[start:end]
                if line := _line(number, pending, dropped, complete=True):
                    yield line
                pending, dropped, start = bytearray(), None, end + 1
            if dropped is None:
                pending += chunk[start:]
                if len(pending) > MAX_LINE:
                    # Its last byte may be a CRLF's CR, the LF in the next chunk.
                    dropped = _CR_ENDS if pending.find(b"\r", 0, -1) >= 0 else _TOO_LONG
                    pending = bytearray()
        if (pending or dropped) and (line := _line(number + 1, pending, dropped, complete=False)):
            yield line


def _line(number: int, raw: bytearray, dropped: str | None, *, complete: bool) -> Line | None:
    if dropped is not None:
        return Line(number, "", LineError("line", dropped))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Line(number, "", LineError("line", f"not UTF-8 (byte {exc.start + 1} of the line)"))
    text = text.removesuffix("\r")
    if number == 1:
        text = text.removeprefix("\ufeff")  # a byte-order mark, as some Windows tools write

    if not text.strip():
        return None
    if "\r" in text:
        return Line(number, "", LineError("line", _CR_ENDS))
    return Line(number, text, unterminated=not complete)
