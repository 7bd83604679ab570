"""The constant SQL fragments of massive downloads: the values always go in as parameters."""

from __future__ import annotations

SELECTION = (
    " FROM bill b JOIN account a ON a.id = b.account JOIN customer c ON c.id = a.customer"
    ' JOIN account_access x ON x.account = a.id AND x."user" = {}'
    " WHERE b.period_end >= {} AND b.period_start <= {}"
)


ACCESS_LOST = (
    "CASE WHEN r.state IN ('queued', 'preparing', 'ready', 'failed') THEN EXISTS (SELECT 1"
    " FROM download_request_bill m JOIN bill b ON b.id = m.bill WHERE m.request = r.id AND NOT EXISTS"
    ' (SELECT 1 FROM account_access x WHERE x.account = b.account AND x."user" = r."user")) ELSE false END'
)
"""Whether a request (``r``) holds a bill of an account that its owner no longer sees (their access was
removed after they confirmed it): its zip is then neither built nor given. Asked at each use, so that a
request works again if the access comes back. A draft drops such marks itself (`selection`), and an
expired request has no file left, so neither is looked at."""


DOWNLOAD_COLUMNS = (
    "id, state, name, file_name, period_preset, custom_from, custom_to, period_from, period_to, select_by,"
    " selector, bill_count, total_cents, done, size_bytes, error, created_at, requested_at, ready_at,"
    f" expires_at, {ACCESS_LOST} AS access_lost"
)
"""A `Download`, read ``FROM download_request r``."""
