"""`portal import FILE|-`: what the operator sees. Rejected lines and warnings on standard output (the
first `SHOWN`; `--errors FILE` has them all), a progress bar on standard error when it is a terminal,
and the summary as the last line of standard output."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import sys
from collections.abc import Iterator
from typing import BinaryIO

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from portal import audit
from portal.imports.run import Options, describe, history, run_import
from portal.imports.writer import Rejection
from portal.infra.command_arguments import shown
from portal.settings import Settings

SHOWN = 100
"""Rejected lines printed; a broken export can reject millions, and the errors file keeps them all."""


@contextlib.contextmanager
def _open(path: str) -> Iterator[tuple[BinaryIO, int | None]]:
    """The file (or standard input) and its size when known (for the progress bar)."""
    if path == "-":
        if sys.stdin is None:  # started with it closed (`<&-`)
            raise OSError(errno.EBADF, "standard input is closed")
        yield sys.stdin.buffer, None
        return
    with open(path, "rb") as stream:
        yield stream, os.fstat(stream.fileno()).st_size


def _same_file(stream: BinaryIO, path: str) -> bool:
    """Whether `path` names the file `stream` reads (standard input redirected from it, too)."""
    try:
        return os.path.samestat(os.fstat(stream.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


class _Unwritable(Exception):
    """The `--errors` file cannot be written (a full disk, /dev/full, a quota): the run stops there."""

    def __init__(self, path: str, exc: OSError) -> None:
        self.path, self.reason = path, exc.strerror or str(exc)
        super().__init__(path, self.reason)


class _ErrorsFile:
    """`--errors FILE`: every rejected line, as JSON Lines. Each goes to the file as it comes (line
    buffering), so that a file that cannot be written stops the run at the batch that met it and says
    which file: buffered, the failure came once 8 KiB had piled up or at the end, the run done, as a bare
    "No space left on device" that read as the database's disk. A write a line costs ≈ 2 s for a million
    rejected lines, against the minute and more their import takes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = open(path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 (closed by `close`)
        self._failed = False

    def write(self, rejection: Rejection) -> None:
        try:
            self._file.write(json.dumps(_as_dict(rejection)) + "\n")
        except OSError as exc:
            self._failed = True
            raise _Unwritable(self.path, exc) from None

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as exc:
            if not self._failed:  # else it is the failed line, still in the buffer: said already
                raise _Unwritable(self.path, exc) from None


def import_file(
    path: str, settings: Settings, *, dry_run: bool, render: bool, errors: str | None, by: str | None
) -> int:
    try:
        return _import_file(path, settings, dry_run=dry_run, render=render, errors=errors, by=by)
    except _Unwritable as exc:
        print(
            f"portal import: cannot write the rejected lines to --errors {shown(exc.path)}: {exc.reason};"
            " the batches imported before it stay (`portal import --history` says how far the run went):"
            " import the file again once the errors file can be written",
            file=sys.stderr,
        )
        return 2


def _import_file(
    path: str, settings: Settings, *, dry_run: bool, render: bool, errors: str | None, by: str | None
) -> int:
    errors_file: _ErrorsFile | None = None
    printed = 0

    def on_reject(rejection: Rejection) -> None:
        nonlocal printed
        if errors_file is not None:
            errors_file.write(rejection)
        if printed < SHOWN:
            print(rejection, flush=True)
        printed += 1

    def on_warning(line: int, text: str) -> None:
        print(f"line {line}: warning: {text}", flush=True)

    console = Console(stderr=True)
    with contextlib.ExitStack() as stack:
        try:
            stream, size = stack.enter_context(_open(path))
            if errors is not None:
                if _same_file(stream, errors):  # opened for writing, it would be emptied before it is read
                    print(
                        f"portal import: --errors {errors} is the file being imported: give the rejected"
                        " lines another file",
                        file=sys.stderr,
                    )
                    return 2
                errors_file = _ErrorsFile(errors)
                stack.callback(errors_file.close)
        except OSError as exc:
            print(
                f"portal import: cannot open {exc.filename or path}: {exc.strerror or exc}", file=sys.stderr
            )
            return 2
        progress = stack.enter_context(
            Progress(
                "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                TimeRemainingColumn(), console=console, disable=not console.is_terminal, transient=True,
            )
        )  # fmt: skip
        task = progress.add_task("Importing", total=size)
        options = Options(
            file_name=path,
            by=audit.operator(by),
            dry_run=dry_run,
            render=render,
            on_reject=on_reject,
            on_warning=on_warning,
            on_progress=lambda done: progress.update(task, completed=done),
        )
        outcome = asyncio.run(run_import(stream, settings, options))
        if (stopped := outcome.read_error) is not None:
            # Like a rejected line, and printed whatever SHOWN: it is why the run stopped.
            print(f"{stopped}; the lines before it were imported: import the file again once it can be read")
            if errors_file is not None:
                errors_file.write(Rejection(stopped.line, "line", stopped.reason))
    if printed > SHOWN:
        print(f"… and {printed - SHOWN} more rejected lines" + (f" (all in {errors})" if errors else ""))
    counts = outcome.counts
    if dry_run:
        print("dry run: nothing was written")
    elif not counts.changed and not counts.rejected and outcome.read_error is None:
        # An export with no records at all is more likely a failed export than a quiet night.
        print(
            "nothing changed: every record was already in the portal"
            if counts.skipped
            else "nothing changed: the file holds no records (was the export empty?)"
        )
    if outcome.not_issued:
        print(
            "issuing: the queue (QUEUE_URL) did not answer: the records are imported, but their PDFs and"
            " emails are not queued; import the same file again once the queue answers"
        )
    if outcome.issued is not None and (outcome.issued.render_jobs or outcome.issued.emails):
        print(
            f"issuing: {outcome.issued.render_jobs} render jobs queued, {outcome.issued.emails} emails queued"
        )
    print(counts.summary(), flush=True)
    return outcome.exit_status


def _as_dict(rejection: Rejection) -> dict[str, object]:
    return {"line": rejection.line, "field": rejection.field, "reason": rejection.reason}


def print_history() -> None:
    runs = asyncio.run(history())
    if not runs:
        print("No imports yet.")
    for run in runs:
        print(describe(run))
