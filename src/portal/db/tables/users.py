"""Users of the Customer Service Area, the accounts they may see, and their server-side sessions."""

from enum import StrEnum

from piccolo.columns import JSONB, Boolean, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.table import Table

from portal.db.tables.accounts import Account, Customer


class UserKind(StrEnum):
    private = "private"
    company = "company"
    administrator = "administrator"


class User(Table, tablename="portal_user"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers
    username = Varchar(length=60, unique=True)
    """Stored lower-cased so that sign-in is case-insensitive."""
    email = Varchar(length=254, unique=True)
    kind = Varchar(length=20, choices=UserKind)
    customer = ForeignKey(references=Customer, null=True, default=None)
    """The holder a private or company user registered as; None for administrators."""
    password_hash = Varchar(length=200, null=True, default=None)
    """argon2id; None until the user creates a password after activation."""
    activated_at = Timestamptz(null=True, default=None)
    online_bill = Boolean(default=False)
    privacy_policy_version = Varchar(length=20)
    privacy_accepted_at = Timestamptz()
    last_sign_in_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    language = Varchar(length=8, null=True, default=None)
    """The language the user chose (`portal.i18n`); None: the cookie, the browser or the default decide."""


class AccessRole(StrEnum):
    holder = "holder"
    administrator = "administrator"


class AccountAccess(Table, tablename="account_access"):
    """Which accounts a user may see; every bill, file, download and payment query goes through it."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    user = ForeignKey(references=User, null=False, index=True)
    account = ForeignKey(references=Account, null=False, index=True)
    role = Varchar(length=20, choices=AccessRole)
    created_at = Timestamptz()


class Session(Table, tablename="web_session"):
    """A server-side session. The id is a random token the server issued; unknown ids are ignored."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    token_hash = Varchar(length=64, unique=True)
    """SHA-256 of the cookie value, so a database leak does not leak live sessions."""
    user = ForeignKey(references=User, null=True, default=None, index=True)
    data = JSONB(default="{}")
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    expires_at = Timestamptz(index=True)
