"""How a command's message repeats what the operator typed (`shown`), and a listing a kept value
(`one_line`)."""

from portal.infra.command_arguments import SHOWN_LENGTH, one_line, shown


def test_shown_is_quoted_and_escaped_and_cut_past_its_length() -> None:
    assert shown("0001000413") == "'0001000413'"
    assert shown("a\nb\x1b[2J\u202ec") == "'a\\nb\\x1b[2J\\u202ec'"
    assert shown("9" * SHOWN_LENGTH) == repr("9" * SHOWN_LENGTH)
    assert shown("9" * (SHOWN_LENGTH + 1)) == f"{'9' * SHOWN_LENGTH!r}… ({SHOWN_LENGTH + 1} characters)"


def test_one_line_keeps_printable_text_as_it_is() -> None:
    long_path = "/var/spool/billing/" + "export-" * 20 + ".jsonl"
    assert one_line(long_path) == long_path
    assert one_line("cs.agent") == "cs.agent"
    assert one_line("export.jsonl\n#2") == "'export.jsonl\\n#2'"
