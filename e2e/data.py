"""Each test's own data, made in the live stack by `portal demo customer` (tests/factories.py reads its
JSON): what the test reads from it is what a person reads on the bills, shaped for the page objects."""

from __future__ import annotations

from e2e.pages.accounts import Bill as BillDetails
from e2e.pages.payments import PaymentData
from tests.factories import FreshBill, FreshCustomer

__all__ = ["FreshBill", "FreshCustomer", "bill_details", "payment_data"]


def payment_data(bill: FreshBill) -> PaymentData:
    """What "Pay now with CPR code" asks for, as printed on the bill."""
    return PaymentData(bill.cpr, bill.issuer_suffix, bill.reference, bill.identification, bill.amount)


def bill_details(customer: FreshCustomer) -> BillDetails:
    """What registration asks for: the holder's document and the latest bill of the first account."""
    account = customer.accounts[0]
    bill = account.bills[-1]
    return BillDetails(customer.identity, account.number, bill.number, bill.amount)
