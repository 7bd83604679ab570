"""How a `portal` command that fails or is stopped tells the operator: one line on standard error, never a
traceback (`portal.cli.main` is the one caller)."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import sys
from collections.abc import Iterator
from types import FrameType

import asyncpg
from redis.exceptions import RedisError

_CONNECTING = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
}
"""How connecting to a server, or its connection, fails (not EPIPE: a closed standard output has it too)."""


def failed_to_connect(exc: OSError | RedisError) -> bool:
    """Whether `exc` is a connection to the queue or the database that failed: past the start-up checks,
    the only servers a command connects to itself (a file's error, a full disk, is the command's own)."""
    if isinstance(exc, RedisError | TimeoutError | socket.gaierror):
        return True
    return exc.errno in _CONNECTING


def database_refused(exc: asyncpg.PostgresError) -> str:
    """What the database said, in its own words (no URL, no password)."""
    return (
        f"portal: the database refused it ({type(exc).__name__}: {exc}): check the rights of DATABASE_URL's"
        " user, and the database's log"
    )


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, as Ctrl-C's KeyboardInterrupt is."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


@contextlib.contextmanager
def said_when_stopped(*, sigterm: bool) -> Iterator[None]:
    """A command stopped by Ctrl-C (or, with `sigterm`, by SIGTERM: a supervisor, `timeout`, a closed
    session) says so in one line instead of a traceback or nothing, then ends by that signal as it would
    have (the shell's 130 or 143), after its `with` and `finally` blocks have run (the embedded database
    is stopped). What it committed stays: an import's batches, migrations; every command may be run again.
    The servers (serve, worker) handle SIGTERM themselves: a graceful stop."""
    if sigterm:
        signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    except KeyboardInterrupt as exc:
        stopped_by = signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT
        print(
            f"portal: stopped by {stopped_by.name} before the command finished: what it had committed"
            " stays (`portal import --history` says how far an import went); run it again to finish",
            file=sys.stderr,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(stopped_by, signal.SIG_DFL)
        os.kill(os.getpid(), stopped_by)
        raise  # not reached: the signal ends the process
