"""The constant SQL fragments of massive downloads: the values always go in as parameters."""

from __future__ import annotations

SELECTION = (
    " FROM bill b JOIN account a ON a.id = b.account JOIN customer c ON c.id = a.customer"
    ' JOIN account_access x ON x.account = a.id AND x."user" = {}'
    " WHERE b.period_end >= {} AND b.period_start <= {}"
)


DOWNLOAD_COLUMNS = (
    "id, state, name, file_name, period_preset, custom_from, custom_to, period_from, period_to, select_by,"
    " selector, bill_count, total_cents, done, size_bytes, error, created_at, requested_at, ready_at,"
    " expires_at"
)
