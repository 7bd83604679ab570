"""Data of a test's own: a customer whose accounts, bills and user no other test knows, made as the demo
is (`portal.demo.fresh`, through the importer). In-process tests call `customer()`; the end-to-end tests
get the same data from `portal demo customer` in the live stack (`FreshCustomer.from_data` of its JSON).
So a test depends on what it made, not on what the demo happens to hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from portal.db.tables.users import UserKind
from portal.demo.fresh import Identity, add_customer
from portal.settings import Settings


@dataclass(frozen=True)
class FreshBill:
    number: str
    status: str
    amount: str
    """As printed, without the euro sign: "14,69"."""
    amount_cents: int
    cpr: str
    issuer_suffix: str
    reference: str
    identification: str
    barcode: str
    """The 507 barcode's 46 digits, as "Pay now with barcode" takes them."""

    @property
    def label(self) -> str:
        return f"Bill {self.number}"

    @property
    def code_form(self) -> dict[str, str]:
        """The fields of "Pay now with CPR code", as a person types them from the bill."""
        return {
            "cpr": self.cpr,
            "issuer": f"{self.issuer_suffix[:8]}-{self.issuer_suffix[8:]}",
            "reference": self.reference,
            "identification": self.identification,
            "amount": self.amount,
        }


@dataclass(frozen=True)
class FreshAccount:
    number: str
    bills: list[FreshBill]
    """Oldest first."""

    @property
    def pending(self) -> list[FreshBill]:
        return [bill for bill in self.bills if bill.status == "pending"]


@dataclass(frozen=True)
class FreshUser:
    username: str
    password: str
    email: str

    @property
    def login(self) -> tuple[str, str]:
        return self.username, self.password


@dataclass(frozen=True)
class FreshCustomer:
    identity: str
    name: str
    accounts: list[FreshAccount]
    user: FreshUser | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> FreshCustomer:
        return cls(
            identity=data["identity"],
            name=data["name"],
            accounts=[
                FreshAccount(account["number"], [FreshBill(**bill) for bill in account["bills"]])
                for account in data["accounts"]
            ],
            user=FreshUser(**data["user"]) if data["user"] else None,
        )

    @property
    def signs_in_as(self) -> FreshUser:
        assert self.user is not None, "made without a user"
        return self.user


async def customer(
    settings: Settings,
    *,
    pending: Sequence[int] = (1,),
    user: UserKind | None = UserKind.private,
    identity: Identity = "dni",
    password: str = "a-test-password",
    online_bill: bool = True,
) -> FreshCustomer:
    """A new customer with one account per entry of `pending` (that many of its latest bills unpaid)
    and, unless `user` is None, an activated user of that kind who sees its accounts."""
    data = await add_customer(
        settings, identity=identity, pending=pending, user=user, password=password, online_bill=online_bill
    )
    return FreshCustomer.from_data(data)
