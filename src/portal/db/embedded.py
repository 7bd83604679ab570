"""The embedded PostgreSQL (the `pgserver` wheel) used when DATABASE_URL is not set.

pgserver stops the server when its last user process exits, but a process killed with SIGKILL stays
registered forever; so we start it with cleanup_mode=None and stop it ourselves (`stop`).
"""

from __future__ import annotations

import warnings
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
