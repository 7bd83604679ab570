"""Throttles by client address count what one subscriber can change at will as one address."""

import datetime as dt

from portal.web.throttle import Throttle, from_address

PER_ADDRESS = Throttle("test:ip", 1, dt.timedelta(minutes=1), per_address=True)


def test_an_ipv6_address_counts_as_its_64_block() -> None:
    assert (
        PER_ADDRESS.key("2001:db8:1:2::1")
        == PER_ADDRESS.key("2001:DB8:1:2:a:b:c:d")
        == "test:ip:2001:db8:1:2::/64"
    )
    assert PER_ADDRESS.key("2001:db8:1:3::1") != PER_ADDRESS.key("2001:db8:1:2::1")


def test_an_ipv4_address_counts_alone_even_through_a_dual_stack_socket() -> None:
    assert PER_ADDRESS.key("::ffff:198.51.100.7") == PER_ADDRESS.key("198.51.100.7") == "test:ip:198.51.100.7"
    assert PER_ADDRESS.key("198.51.100.8") != PER_ADDRESS.key("198.51.100.7")


def test_what_is_no_address_and_other_subjects_count_as_given() -> None:
    assert PER_ADDRESS.key("testclient") == "test:ip:testclient"
    assert Throttle("test:user", 1, dt.timedelta(minutes=1)).key("2001:db8::1") == "test:user:2001:db8::1"


def test_a_subject_from_an_address_counts_the_address_as_per_address_throttles_do() -> None:
    per_user_and_address = Throttle("test:user-ip", 1, dt.timedelta(minutes=1))
    assert (
        per_user_and_address.key(from_address("2001:db8:1:2::1", "user:5"))
        == per_user_and_address.key(from_address("2001:DB8:1:2:a:b:c:d", "user:5"))
        == "test:user-ip:2001:db8:1:2::/64|user:5"
    )
    assert from_address("::ffff:198.51.100.7", "user:5") == from_address("198.51.100.7", "user:5")
    # However long the subject (a login typed in full), the address stays in the key.
    login = "login:" + "x" * 300
    assert per_user_and_address.key(from_address("198.51.100.7", login)) != per_user_and_address.key(
        from_address("198.51.100.8", login)
    )
