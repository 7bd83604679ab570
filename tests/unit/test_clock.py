"""The one clock: "today" is the customers' date, PORTAL_NOW starts it at an instant and lets it run, a
test can stop it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest

from portal import clock
from portal.settings import LocaleSettings, Settings


@pytest.fixture
def configured() -> Iterator[None]:
    """Put the process's clock back as the test session has it, whatever a test configures."""
    yield
    clock.configure(Settings.from_env())


def test_today_is_the_date_in_the_customers_time_zone(configured: None) -> None:
    late_evening_utc = dt.datetime(2027, 2, 28, 23, 30, tzinfo=dt.UTC)  # already 1 March in Madrid
    with clock.frozen_at(late_evening_utc):
        assert clock.today() == dt.date(2027, 3, 1)
        clock.configure(dataclasses.replace(Settings.from_env(), locale=LocaleSettings("Atlantic/Canary")))
        assert clock.today() == dt.date(2027, 2, 28)  # the Canaries are an hour behind Madrid
        assert clock.now() == late_evening_utc


def test_portal_now_starts_the_clock_there_and_lets_it_run(
    configured: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "_frozen", None)  # the live clock, as a process runs it, not the test's
    start = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    settings = dataclasses.replace(Settings.from_env(), clock_start=start)
    clock.configure(settings)
    first = clock.now()
    clock.configure(settings)  # a second call does not start it again
    second = clock.now()
    # It read PORTAL_NOW when the process started (moments ago), and has run since.
    assert start < first <= second < start + dt.timedelta(hours=1)
    assert first.utcoffset() == dt.timedelta(0)


def test_frozen_at_needs_an_aware_instant_and_restores_the_clock() -> None:
    before = clock.now()
    with pytest.raises(ValueError, match="aware"), clock.frozen_at(dt.datetime(2027, 3, 1)):
        pass
    instant = dt.datetime(2028, 2, 29, 23, 40, tzinfo=dt.UTC)
    with clock.frozen_at(instant):
        assert clock.now() == instant and clock.today() == dt.date(2028, 3, 1)
    assert clock.now() == before
