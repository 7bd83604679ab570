"""The embedded PostgreSQL (the `pgserver` wheel) used when DATABASE_URL is not set.

pgserver stops the server when its last user process exits, but a process killed with SIGKILL stays
registered forever; so we start it with cleanup_mode=None, and `portal run` stops it (`running`).
"""

from __future__ import annotations

import fcntl
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

with warnings.catch_warnings():
    # pgserver keeps its lock file in the user's runtime folder. Where XDG_RUNTIME_DIR is unset (root, a
    # container, a server without a login session) platformdirs warns on import and uses
    # /tmp/runtime-<uid>, which serves as well: the warning was the first thing `make run` printed.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # made at import, one per binary


def start(data_dir: Path) -> str:
    """Start (or reuse) the server whose data lives in data_dir; return its URL (Unix socket only)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    return server.get_uri()


def stop(data_dir: Path) -> None:
    """Stop the server fast (rolls back open transactions); a no-op when it is not running."""
    if not (data_dir / "postmaster.pid").exists():
        return
    server = pgserver.get_server(data_dir, cleanup_mode=None)  # attaches to the running server
    pg_ctl(["-m", "fast", "-w", "stop"], pgdata=server.pgdata, user=server.system_user)


class InUse(Exception):
    """Another `portal run` holds this data folder's server."""


@contextmanager
def running(data_dir: Path) -> Iterator[str]:
    """The server of one `portal run`: started (or reused, e.g. after a run that was killed) and stopped
    when the run ends. One run at a time per data folder (else InUse): a second one would stop the
    server under the first when it ends. The lock is the system's (flock), so it goes with its process,
    even one killed with SIGKILL."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # Beside the data folder, not in it: initdb wants an empty folder.
    with open(data_dir.parent / f".{data_dir.name}.run-lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InUse(str(data_dir)) from None
        try:
            yield start(data_dir)
        finally:
            stop(data_dir)
