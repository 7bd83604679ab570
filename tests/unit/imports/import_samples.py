"""Valid records to start from: each test breaks one thing."""

from __future__ import annotations

import copy
import errno
import io
import json
from typing import Any

from stdnum.es import cif, dni

from portal.banking.accounts import account_number

PERSON = "50123456" + dni.calc_check_digit("50123456")
COMPANY = "B9876543" + cif.calc_check_digits("B9876543")[0]
ACCOUNT = account_number(700001)
IBAN = "ES91 2100 0418 4502 0005 1332"

CUSTOMER: dict[str, Any] = {
    "type": "customer",
    "identity": PERSON,
    "kind": "person",
    "name": "Lucía Fernández",
}
ACCOUNT_RECORD: dict[str, Any] = {
    "type": "account",
    "number": ACCOUNT,
    "holder": PERSON,
    "supply_address": "Calle de Játiva 4, 46002 Valencia",
    "tariff": "Domestic",
    "payment_method": "none",
}
BILL: dict[str, Any] = {
    "type": "bill",
    "number": "FA-2026/000101",
    "account": ACCOUNT,
    "issue_date": "2026-11-03",
    "due_date": "2026-11-23",
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
    "reading_previous": 1520,
    "reading_current": 1532,
    "lines": [
        {
            "kind": "fixed",
            "description": "Service charge",
            "quantity": "1",
            "unit_price": "6.75",
            "amount": "6.75",
        },
        {
            "kind": "consumption",
            "description": "Water",
            "quantity": "12",
            "unit_price": "0.58",
            "amount": "6.96",
        },
        {"kind": "vat", "description": "VAT 10%", "quantity": "1", "unit_price": "1.37", "amount": "1.37"},
    ],
    "taxable": "13.71",
    "vat": "1.37",
    "total": "15.08",
    "status": "pending",
}
PAYMENT: dict[str, Any] = {
    "type": "payment",
    "bill": "FA-2026/000101",
    "paid_at": "2026-11-15T10:42:00+01:00",
    "amount": "15.08",
    "channel": "bank_counter",
}


def record(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of `base` with `changes`; a change to None removes the field."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


CREDIT_BILL = record(
    BILL,
    number="FA-2026/000102",
    lines=[
        {
            "kind": "other",
            "description": "Correction of bill FA-2026/000101",
            "quantity": "1",
            "unit_price": "-13.71",
            "amount": "-13.71",
        },
        {"kind": "vat", "description": "VAT 10%", "quantity": "1", "unit_price": "-1.37", "amount": "-1.37"},
    ],
    taxable="-13.71",
    vat="-1.37",
    total="-15.08",
)
"""A corrective bill that gives 15.08 back: a credit bill (its total is below 0)."""
ZERO_BILL = record(
    CREDIT_BILL,
    number="FA-2026/000103",
    lines=[{"kind": "other", "description": "Nothing", "quantity": "1", "unit_price": "0", "amount": "0.00"}],
    taxable="0.00",
    vat="0.00",
    total="0.00",
)


def jsonl(*records: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


class FailingDisk(io.BytesIO):
    """A file whose disk fails after `good` bytes (outside the product: a stand-in for the disk)."""

    def __init__(self, data: bytes, good: int) -> None:
        super().__init__(data)
        self.good = good

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.good:
            raise OSError(errno.EIO, "Input/output error")
        left = self.good - self.tell()
        return super().read(left if size is None or size < 0 else min(size, left))
