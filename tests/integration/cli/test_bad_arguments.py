"""Arguments a command cannot take as given are refused before it starts, as any usage error is: the usage
line, then `portal COMMAND: error: argument …: why` on standard error, exit status 2. Each command runs
with a database that does not answer, so one that let the argument through would stop with another
message instead (`portal: … DATABASE_URL …`)."""

from __future__ import annotations

import subprocess

import pytest

from conftest import free_port
from portal.infra.command_arguments import OPERATOR_LENGTH
from tests.processes import run_portal

BY_COMMANDS = {
    "portal import": ["import", "export.jsonl"],
    "portal access remove": ["access", "remove", "admin.demo", "0001000439"],
    "portal access allow-old-bills": ["access", "allow-old-bills", "0001000439"],
}
"""The commands with `--by`: the name argparse gives each, and arguments it takes but for `--by`."""


def _refused(*arguments: str) -> str:
    """The error line of `portal ARGUMENTS`, which must be refused as a usage error."""
    result: subprocess.CompletedProcess[str] = run_portal(
        *arguments, without=["QUEUE_URL"], DATABASE_URL=f"postgresql://portal@127.0.0.1:{free_port()}/portal"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr, result.stdout + result.stderr
    assert result.stderr.startswith("usage: portal "), result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("command", BY_COMMANDS)
@pytest.mark.parametrize(
    ("by", "shown"),
    [
        # A line break forged a run of `portal import --history` (one line a run) and an audit log line;
        # an escape sequence rewrote the operator's terminal; a right-to-left override reversed the rest.
        (
            "cs.agent\n#99  2026-12-07 03:00 UTC  by nightly",
            "'cs.agent\\n#99  2026-12-07 03:00 UTC  by nightly'",
        ),
        ("cs.agent\x1b[2K\rnightly", "'cs.agent\\x1b[2K\\rnightly'"),
        ("cs.agent\u202etnega", "'cs.agent\\u202etnega'"),
        ("cs\tagent", "'cs\\tagent'"),
    ],
)
def test_a_by_with_a_control_character(command: str, by: str, shown: str) -> None:
    assert _refused(*BY_COMMANDS[command], "--by", by) == (
        f"{command}: error: argument --by: must be printable text, without line breaks or other control"
        f" characters, not {shown}"
    )


@pytest.mark.parametrize("command", BY_COMMANDS)
def test_a_by_that_is_blank_or_too_long(command: str) -> None:
    """Blank (`--by "$UNSET"`) was taken as the system user; too long, the import's record cut it."""
    for blank in ("", "  "):
        assert _refused(*BY_COMMANDS[command], "--by", blank) == (
            f"{command}: error: argument --by: must name who runs the command (without --by: the system user)"
        )
    one_too_many = OPERATOR_LENGTH + 1
    assert _refused(*BY_COMMANDS[command], "--by", "a" * one_too_many) == (
        f"{command}: error: argument --by: must be at most {OPERATOR_LENGTH} characters, not {one_too_many}:"
        f" '{'a' * 60}'… ({one_too_many} characters)"
    )


def test_an_empty_file_name() -> None:
    """`--errors ''` (a variable not set) was taken as no --errors: the rejected lines were kept nowhere."""
    assert _refused("import", "export.jsonl", "--errors", "") == (
        "portal import: error: argument --errors: must name a file, not ''"
    )
    assert _refused("import", "") == "portal import: error: argument FILE: must name a file, not ''"


def test_history_with_a_file() -> None:
    """`--history` lists the latest runs of every file: it ignored a FILE given with it, as if it listed
    that file's runs. A run's record keeps the name as given and the content's SHA-256, so no rule says
    which runs were "that file" (given by another path, piped, or changed since): refused."""
    assert _refused("import", "--history", "export.jsonl") == (
        "portal import: error: argument FILE: not allowed with argument --history"
    )
    assert _refused("import") == "portal import: error: one of the arguments FILE --history is required"
