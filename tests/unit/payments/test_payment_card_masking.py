"""What the portal keeps of a card number from the gateway: at most the first 6 and the last 4 digits."""

from __future__ import annotations

from portal.payments.notification import _masked


def test_a_masked_number_is_kept_as_sent() -> None:
    assert _masked("454881******0004") == "454881******0004"


def test_a_full_number_is_masked_anyway() -> None:
    assert _masked("4548812049400004") == "454881******0004"


def test_nothing_or_too_little() -> None:
    assert _masked(None) == ""
    assert _masked("") == ""
    assert _masked("0004") == "****"
    assert _masked("<script>4548 8120 4940 0004</script>") == "454881******0004"
