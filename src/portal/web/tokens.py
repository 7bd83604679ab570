"""Secret tokens handed to a browser (session and draft cookies, links in emails): only their SHA-256 is
stored, so a copy of the database cannot be used to act as anyone."""

from __future__ import annotations

import hashlib


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
