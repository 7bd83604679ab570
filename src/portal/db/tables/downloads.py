"""Massive bills download requests: the request flow's draft, then the background zip and its file."""

from enum import StrEnum

from piccolo.columns import BigInt, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.db.tables.bills import Bill
from portal.db.tables.users import User


class DownloadState(StrEnum):
    """`draft` while the user answers the questions; then queued → preparing → ready (or failed, which
    "Try again" sends back to queued); ready files become `expired` when the retention period ends."""

    draft = "draft"
    queued = "queued"
    preparing = "preparing"
    ready = "ready"
    failed = "failed"
    expired = "expired"


class DownloadRequest(Table, tablename="download_request"):
    """One request of "Massive bills download", owned by the user who made it. The flow's answers live
    here (not in hidden fields), so back, refresh, two tabs and restarts keep them."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    user = ForeignKey(references=User, null=False, index=True)
    state = Varchar(length=20, choices=DownloadState, default=DownloadState.draft)
    name = Text(default="")
    """The file name as typed; `file_name` is the cleaned one (with `.zip`) given to the browser."""
    file_name = Text(default="")
    period_preset = Varchar(length=20, default="")
    """last_3, last_6, last_12, this_year, last_year or custom."""
    custom_from = Varchar(length=7, default="")
    custom_to = Varchar(length=7, default="")
    """The months typed for a custom period (YYYY-MM), shown back by "Change"."""
    period_from = Date(null=True, default=None)
    period_to = Date(null=True, default=None)
    select_by = Varchar(length=20, default="")
    """identity or account."""
    selector = Text(default="")
    """The identity document or account number, normalised."""
    bill_count = Integer(default=0)
    total_cents = BigInt(default=0)
    done = Integer(default=0)
    """Bills added to the zip so far (progress: done of bill_count)."""
    attempts = Integer(default=0)
    size_bytes = BigInt(default=0)
    file_key = Text(default="")
    error = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    """Last change or progress report; a request whose work stopped reporting is swept."""
    requested_at = Timestamptz(null=True, default=None)
    ready_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)


class DownloadRequestBill(Table, tablename="download_request_bill"):
    """A bill marked for a request (unique per request and bill: a raw constraint)."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    request = ForeignKey(references=DownloadRequest, null=False, index=True)
    bill = ForeignKey(references=Bill, null=False)
