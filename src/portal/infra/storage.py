"""Generated files (bill PDFs and, later, download zips) on the local file system under STORAGE_DIR.

Writes go to a temporary name in the same folder and are renamed when complete, so a reader never sees a
half-written file and a job killed mid-write leaves only a temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from portal.infra.metrics import counts_storage_errors


class Storage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """The file for a key such as `bills/FA00000000025.pdf`; keys never leave the root."""
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or any(part in {"..", "."} for part in parts):
            raise ValueError(f"Not a storage key: {key!r}")
        return self.root.joinpath(*parts)

    @counts_storage_errors("exists")
    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    @counts_storage_errors("write")
    def write(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".tmp-", delete=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
