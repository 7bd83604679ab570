"""The constant SQL fragments of My bills, a bill and the exports of bills: the values always go in as
parameters."""

from __future__ import annotations

VIEWER_ACCOUNTS = (
    " FROM account_access x JOIN account a ON a.id = x.account JOIN customer c ON c.id = a.customer"
)
"""Accounts (``a``), their holders (``c``) and who may see them (``x``): every list of a viewer's accounts
reads from this and says ``WHERE x."user" = {}``."""
VISIBLE_ACCOUNT = "SELECT a.id, a.number, a.supply_address, c.name AS holder, x.role"
"""The columns of a `VisibleAccount`, read ``FROM`` `VIEWER_ACCOUNTS`."""
VISIBLE = ' FROM bill b JOIN account_access x ON x.account = b.account AND x."user" = %d'


WITH_NUMBERS = "SELECT p.*, a.number AS account_number, NULL AS supply_address FROM ("


CHOICES = (
    "SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'account', a.number, a.supply_address"
    ' FROM account_access x JOIN account a ON a.id = x.account WHERE x."user" = %d ORDER BY a.number'
    " LIMIT %d"
)
"""The "Account" filter's choices, as rows of the same shape as the bills' joined to their numbers."""


DETAIL = (
    "SELECT b.*, a.number AS account_number, a.supply_address, a.tariff, a.payment_method, a.iban_masked,"
    " c.name AS holder_name, c.identity_number AS holder_identity"
    " FROM bill b JOIN account a ON a.id = b.account JOIN customer c ON c.id = a.customer"
)


EXPORTED_BILL = (
    "SELECT b.id, b.number, a.number AS account, c.name AS holder, b.period_start, b.period_end,"
    " b.issue_date, b.due_date, b.total_cents, b.status"
)
"""The columns an exported bill is read from; the query joins ``account a`` and ``customer c``."""
