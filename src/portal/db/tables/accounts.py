"""Holders (customers) and their accounts (contracts / supply points)."""

from enum import StrEnum

from piccolo.columns import Boolean, Date, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class CustomerKind(StrEnum):
    person = "person"
    company = "company"


class IdentityKind(StrEnum):
    dni = "DNI"
    nie = "NIE"
    cif = "CIF"


class Customer(Table, tablename="customer"):
    """An account holder: a person (DNI/NIE) or a company (CIF), as printed on the bill."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    kind = Varchar(length=10, choices=CustomerKind)
    identity_kind = Varchar(length=3, choices=IdentityKind)
    identity_number = Varchar(length=12, unique=True)
    """Normalised: upper case, no spaces or hyphens; validated with python-stdnum on the way in."""
    name = Varchar(length=200)
    email = Varchar(length=254, default="")
    phone = Varchar(length=30, default="")
    created_at = Timestamptz()


class PaymentMethod(StrEnum):
    direct_debit = "direct_debit"
    none = "none"


class Account(Table, tablename="account"):
    """A supply contract; bills are issued to it."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    number = Varchar(length=10, unique=True)
    """9 digits and a Luhn check digit (portal.banking.accounts)."""
    customer = ForeignKey(references=Customer, null=False, index=True, index_method=IndexMethod.btree)
    supply_address = Varchar(length=300)
    service = Varchar(length=20, default="water")
    tariff = Varchar(length=60)
    payment_method = Varchar(length=20, choices=PaymentMethod, default=PaymentMethod.none)
    iban_masked = Varchar(length=34, default="")
    """Only the masked IBAN is kept (e.g. ES91 **** **** **** **** 1332): the full one is not ours to show."""
    online_bill = Boolean(default=False)
    created_at = Timestamptz()
    bills_prove_after = Date(null=True, default=None)
    """Only a bill issued after this day (in TIMEZONE) proves the account, to register with it or to add
    it ("Add an account"): the day customer service last removed an access to it (`portal access
    remove`), since the person removed still holds the bill they used. NULL: any of its bills does
    (`portal access allow-old-bills` puts it back)."""
