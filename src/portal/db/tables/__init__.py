"""All tables, in dependency order (a table comes after the tables it references)."""

from portal.db.tables.accounts import Account, Customer
from portal.db.tables.audit import AuditEvent
from portal.db.tables.auth import Attempt, EmailToken, RegistrationDraft
from portal.db.tables.bills import Bill
from portal.db.tables.downloads import DownloadRequest, DownloadRequestBill
from portal.db.tables.imports import ImportRun
from portal.db.tables.mail import OutboxEmail
from portal.db.tables.payment_documents import PaymentDocument, PaymentDocumentBill
from portal.db.tables.payments import Payment, PaymentDraft, PaymentNotification
from portal.db.tables.users import AccountAccess, Session, User

TABLES = (
    Customer,
    Account,
    ImportRun,
    Bill,
    User,
    AccountAccess,
    Session,
    OutboxEmail,
    AuditEvent,
    RegistrationDraft,
    EmailToken,
    Attempt,
    PaymentDocument,
    PaymentDocumentBill,
    DownloadRequest,
    DownloadRequestBill,
    PaymentDraft,
    Payment,
    PaymentNotification,
)

__all__ = [
    "TABLES",
    "Account",
    "AccountAccess",
    "Attempt",
    "AuditEvent",
    "Bill",
    "Customer",
    "DownloadRequest",
    "DownloadRequestBill",
    "EmailToken",
    "ImportRun",
    "OutboxEmail",
    "Payment",
    "PaymentDocument",
    "PaymentDocumentBill",
    "PaymentDraft",
    "PaymentNotification",
    "RegistrationDraft",
    "Session",
    "User",
]
