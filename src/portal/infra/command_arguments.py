"""The `portal` commands' arguments: the argparse types that refuse a bad one before the command starts
(argparse says which argument and why after the usage line, with exit status 2, as for any usage error),
and how a command's message (`shown`) or listing (`one_line`) repeats what the operator typed."""

from __future__ import annotations

import argparse
import os

OPERATOR_LENGTH = 100
"""The longest `--by` a command's record keeps (`import_run.run_by` is a varchar(100))."""

SHOWN_LENGTH = 60
"""The characters of a typed value that a message repeats: enough for an account number, an order number,
a username or most paths; a pasted page or a runaway variable is cut."""


def shown(typed: str) -> str:
    """What the operator typed, as a message repeats it: quoted and escaped as Python's repr does it, so a
    line break, an escape sequence or a bidirectional control shows as \\n, \\x1b or \\u202e and cannot
    start a line that looks like the command's own, colour the terminal or reverse the text; and cut to its
    first SHOWN_LENGTH characters, saying how long it was."""
    if len(typed) <= SHOWN_LENGTH:
        return repr(typed)
    return f"{typed[:SHOWN_LENGTH]!r}… ({len(typed)} characters)"


def one_line(text: str) -> str:
    """A value kept from an operator's command (a file's name, who ran it) in a listing of one line an item
    (`portal import --history`): as it is when printable, else `shown`."""
    return text if text.isprintable() else shown(text)


def positive_int(text: str) -> int:
    """A count argument: a whole number of at least 1 (uvicorn ran `--workers 0` as one process)."""
    if not text.strip().isdecimal() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {shown(text)}")
    return int(text)


PROCESSES_A_CORE = 4
"""`serve --workers` at most this many a core: more only share the cores."""


def processes(text: str) -> int:
    """`serve --workers`: at least 1, and at most PROCESSES_A_CORE for each of the machine's cores. A slip
    of a few more digits started processes until the machine's memory ran out (each ≈ 100 MB)."""
    count = positive_int(text)
    cores = os.cpu_count() or 1
    if count > PROCESSES_A_CORE * cores:
        raise argparse.ArgumentTypeError(
            f"must be at most {PROCESSES_A_CORE * cores} ({PROCESSES_A_CORE} for each of this machine's"
            f" {cores} cores), not {shown(text)}"
        )
    return count


def counts(text: str) -> list[int]:
    """`--pending 2,0`: whole numbers of 0 or more, comma-separated."""
    if not all(count.isascii() and count.isdigit() for count in text.split(",")):
        raise argparse.ArgumentTypeError(
            f"must be whole numbers of 0 or more, such as 2,0, not {shown(text)}"
        )
    return [int(count) for count in text.split(",")]


def file_path(text: str) -> str:
    """A FILE argument. An empty one (`--errors "$UNSET_VARIABLE"`) names no file: `--errors ''` was taken
    as no `--errors` at all, and the rejected lines were kept nowhere."""
    if not text:
        raise argparse.ArgumentTypeError("must name a file, not ''")
    return text


def operator_name(text: str) -> str:
    """`--by`: who runs the command, as its record keeps it (`import_run.run_by`, the audit event's `by`)
    and `portal import --history` shows it, one line a run. Printable text only: a line break, an escape
    sequence or another control or formatting character would forge or hide lines of that listing and of
    the logged audit lines. Not blank (`--by "$UNSET_VARIABLE"` was taken as the system user), and no
    longer than the record keeps."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name who runs the command (without --by: the system user)")
    if not text.isprintable():
        raise argparse.ArgumentTypeError(
            f"must be printable text, without line breaks or other control characters, not {shown(text)}"
        )
    if len(text) > OPERATOR_LENGTH:
        raise argparse.ArgumentTypeError(
            f"must be at most {OPERATOR_LENGTH} characters, not {len(text)}: {shown(text)}"
        )
    return text
