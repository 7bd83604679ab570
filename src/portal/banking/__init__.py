"""Pure banking code: Cuaderno 57 payment codes and barcodes, EPC QR codes, identity documents, money.

Nothing here does I/O or imports from the web or database layers, so every rule about codes and numbers
is unit-tested in isolation and shared by bills, payment documents, payments and the demo data.
See ``../shared/specs/payment-codes.md``.
"""
