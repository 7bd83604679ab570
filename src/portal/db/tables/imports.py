"""One row per `portal import` run: who ran it, when, on which file, and what came of it."""

from piccolo.columns import JSONB, Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class ImportRun(Table, tablename="import_run"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers
    run_by = Varchar(length=100)
    """The operating-system user who ran it, or what `--by` said."""
    file_name = Text()
    """As given on the command line (`-` for standard input)."""
    sha256 = Varchar(length=64, index=True)
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    """None while it runs (or if it crashed)."""
    counts = JSONB(default="{}")
    """What the summary line says: imported, updated, skipped and rejected, by record type."""
    rejected = Integer(default=0)
    issued_at = Timestamptz(null=True, default=None)
    """When its new bills were issued (render jobs and emails queued); None: not yet, e.g. it crashed, and
    the next run issues them."""
    rendered = Boolean(default=False)
    """Whether issuing queued its bills' renders (False with `--no-render`: rendered on first request)."""
    read_error = Text(default="")
    """Where and why reading the file stopped before its end ("line 812: the file cannot be read from this
    line on (Input/output error)"); "" if it did not."""
