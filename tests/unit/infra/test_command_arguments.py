"""How a command's message repeats what the operator typed."""

from portal.infra.command_arguments import SHOWN_LENGTH, shown


def test_shown_is_quoted_and_escaped_and_cut_past_its_length() -> None:
    assert shown("0001000413") == "'0001000413'"
    assert shown("a\nb\x1b[2J\u202ec") == "'a\\nb\\x1b[2J\\u202ec'"
    assert shown("9" * SHOWN_LENGTH) == repr("9" * SHOWN_LENGTH)
    assert shown("9" * (SHOWN_LENGTH + 1)) == f"{'9' * SHOWN_LENGTH!r}… ({SHOWN_LENGTH + 1} characters)"
