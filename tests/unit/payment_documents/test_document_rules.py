"""A bills-due document's state and deadline, and what its EPC QR code says."""

import datetime as dt
import string

from hypothesis import given
from hypothesis import strategies as st

from portal.banking.cuaderno57 import PaymentCode, deadline_identification
from portal.banking.epc import epc_payload
from portal.payment_documents.payable import document_state
from portal.payment_documents.pdf import epc_text
from portal.payment_documents.services import DocumentDetail, deadline_from
from portal.settings import Settings

TODAY = dt.date(2026, 11, 28)
ISSUER = Settings.from_env().issuer


def test_paid_wins_then_a_bill_paid_apart_then_the_deadline() -> None:
    deadline = TODAY
    assert document_state("pending", deadline, 0, 2, TODAY) == "pending"  # the last day still counts
    assert document_state("pending", deadline, 0, 2, TODAY + dt.timedelta(days=1)) == "expired"
    assert document_state("pending", deadline, 1, 1, TODAY) == "superseded"
    assert document_state("pending", deadline, 1, 1, TODAY + dt.timedelta(days=1)) == "superseded"
    assert document_state("paid", deadline, 0, 0, TODAY + dt.timedelta(days=30)) == "paid"


def test_a_document_whose_bills_were_all_paid_apart_is_paid() -> None:
    assert document_state("pending", TODAY, 2, 0, TODAY) == "paid"
    assert document_state("pending", TODAY, 2, 0, TODAY + dt.timedelta(days=30)) == "paid"


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 11, 30)))
def test_the_deadline_is_the_setting_days_ahead_and_reads_back_from_the_code(today: dt.date) -> None:
    deadline = deadline_from(today, ISSUER)
    assert (deadline - today).days == ISSUER.document_days
    code = PaymentCode.build(
        ISSUER.code, ISSUER.document_suffix, "00000000042", deadline_identification(deadline), 1
    )
    assert code.deadline == deadline


@given(
    st.integers(min_value=1, max_value=10**9),
    st.text(alphabet=string.digits, min_size=10, max_size=10),
)
def test_the_transfer_text_names_the_document_and_fits_the_epc_limits(cents: int, account: str) -> None:
    code = PaymentCode.build(ISSUER.code, ISSUER.document_suffix, "12345678901", "311226", cents)
    document = DocumentDetail(
        1,
        account,
        "Holder",
        "Address",
        dt.datetime(2026, 12, 21, tzinfo=dt.UTC),
        TODAY,
        cents,
        "pending",
        code,
        [],
    )
    text = epc_text(document)
    assert code.reference in text and account in text and len(text) <= 140
    payload = epc_payload(ISSUER.name, ISSUER.iban, ISSUER.bic, cents, text=text).split("\n")
    assert payload[8:] == ["", "", text]  # no purpose, no structured reference, the text
