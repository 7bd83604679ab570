"""Each test's own data, made in the live stack by `portal demo customer` (tests/factories.py reads its
JSON): what the test reads from it is what a person reads on the bills, shaped for the page objects."""

from __future__ import annotations

from e2e.pages.accounts import Bill as BillDetails
from e2e.pages.payments import PaymentData
from tests.factories import FreshBill, FreshCustomer

__all__ = ["FreshBill", "FreshCustomer", "bill_details", "mistyped_amount", "payment_data"]


def payment_data(bill: FreshBill) -> PaymentData:
    """What "Pay now with CPR code" asks for, as printed on the bill."""
    return PaymentData(bill.cpr, bill.issuer_suffix, bill.reference, bill.identification, bill.amount)


def mistyped_amount(bill: FreshBill) -> str:
    """The bill's amount one cent more, as typed: a slip the reference's check digits always catch (the sum
    they are made from moves by one, and so do they: specs/payment-codes.md). Any other wrong amount
    passes them about once in 97 bills, and then the page rightly says it finds no such bill."""
    cents = bill.amount_cents + 1
    return f"{cents // 100},{cents % 100:02d}"


def bill_details(customer: FreshCustomer) -> BillDetails:
    """What registration asks for: the holder's document and the latest bill of the first account."""
    account = customer.accounts[0]
    bill = account.bills[-1]
    return BillDetails(customer.identity, account.number, bill.number, bill.amount)
