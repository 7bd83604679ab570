"""Security-relevant events, kept without secrets."""

from piccolo.columns import JSONB, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.table import Table

from portal.db.tables.users import User


class AuditEvent(Table, tablename="audit_event"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers
    at = Timestamptz(index=True)
    event = Varchar(length=60, index=True)
    user = ForeignKey(references=User, null=True, default=None, index=True)
    ip = Varchar(length=45, default="")
    request_id = Varchar(length=36, default="")
    detail = JSONB(default="{}")
