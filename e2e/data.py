"""Each test's own data, made in the live stack by `portal demo customer` (the demo's loader with a new
holder, new accounts and new bills): what the test reads from it is what a person reads on the bills."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from e2e.pages.accounts import Bill as BillDetails
from e2e.pages.payments import PaymentData


@dataclass(frozen=True)
class FreshBill:
    number: str
    status: str
    amount: str
    """As printed, without the euro sign: "14,69"."""
    cpr: str
    issuer_suffix: str
    reference: str
    identification: str
    barcode: str

    @property
    def label(self) -> str:
        return f"Bill {self.number}"

    @property
    def payment_data(self) -> PaymentData:
        return PaymentData(self.cpr, self.issuer_suffix, self.reference, self.identification, self.amount)


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


@dataclass(frozen=True)
class FreshCustomer:
    identity: str
    name: str
    accounts: list[FreshAccount]
    user: FreshUser | None

    @classmethod
    def from_json(cls, text: str) -> FreshCustomer:
        data: dict[str, Any] = json.loads(text)
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
        assert self.user is not None, "made without --user"
        return self.user

    def bill_details(self) -> BillDetails:
        """What registration asks for: the holder's document and the latest bill of the first account."""
        account = self.accounts[0]
        bill = account.bills[-1]
        return BillDetails(self.identity, account.number, bill.number, bill.amount)
