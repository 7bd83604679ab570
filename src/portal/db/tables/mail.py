"""The transactional email outbox: a row per message, sent by a job, marked sent once."""

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class OutboxEmail(Table, tablename="outbox_email"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers
    dedupe_key = Varchar(length=200, unique=True)
    """Who asked for the message and why (e.g. `activation:42:3`): asking twice stores it once."""
    template = Varchar(length=60)
    to_address = Varchar(length=254)
    subject = Varchar(length=300)
    body_text = Text()
    body_html = Text()
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")
