"""State of the sign-in journeys: registration drafts, emailed tokens and throttling attempts."""

from enum import StrEnum

from piccolo.columns import BigInt, Boolean, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.db.tables.accounts import Account
from portal.db.tables.users import User


class RegistrationDraft(Table, tablename="registration_draft"):
    """One registration in progress, found by the hash of a random cookie token. The flow's answers live
    here (not in hidden fields), so back, refresh, two tabs and restarts keep them."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    token_hash = Varchar(length=64, unique=True)
    kind = Varchar(length=20, default="")
    identity_number = Text(default="")
    account_number = Text(default="")
    bill_number = Text(default="")
    amount = Text(default="")
    """As typed (with a comma or a dot): the answers are kept as typed, whatever their length, so that
    the form shows them back unchanged; they are checked before anything is created from them."""
    account = ForeignKey(references=Account, null=True, default=None)
    """Set once the bill details are verified."""
    username = Text(default="")
    email = Text(default="")
    """Both empty until the user details are accepted, then as the user will have them
    (`accounts.forms.normalise_login`)."""
    online_bill = Boolean(default=False)
    privacy_accepted = Boolean(default=False)
    user = ForeignKey(references=User, null=True, default=None)
    """The user the registration created (none when its email address already had a user)."""
    completed_at = Timestamptz(null=True, default=None)
    """Set when the registration is completed: the draft then only serves "send the email again"."""
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)


class TokenPurpose(StrEnum):
    activation = "activation"
    password_reset = "password_reset"  # noqa: S105 (a purpose, not a password)
    email_change = "email_change"
    """Confirms a new email address; the address is part of the token (tokens.issue(bound=…))."""


class EmailToken(Table, tablename="email_token"):
    """A single-use link sent by email. Only the SHA-256 of the token is stored."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    user = ForeignKey(references=User, null=False, index=True)
    purpose = Varchar(length=20, choices=TokenPurpose)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    """Set when a newer link of the same purpose is sent: only the newest one works."""


class Attempt(Table, tablename="attempt"):
    """One counted attempt (a failed sign-in, a registration check, a reset request) under a throttle key
    such as `signin:ip:203.0.113.5`; throttles count the rows of a key inside their window. An attempt is
    counted before it is checked, and taken back if it is refused or if only failures count and it
    succeeds (`portal.web.throttle.count_attempt`)."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    key = Varchar(length=200)
    at = Timestamptz()
    weight = BigInt(default=1)
