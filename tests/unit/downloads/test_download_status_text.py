"""What "Downloads requested" announces after a poll and writes of each request (its size, period and
when it was ready), and the download headers' file names."""

from __future__ import annotations

import datetime as dt

from portal import i18n
from portal.downloads.requests import Download, changes_since, state_signature
from portal.web.files import content_disposition


def download(
    request_id: int,
    state: str,
    name: str = "bills.zip",
    size: int = 0,
    preset: str = "last_3",
    ready_at: dt.datetime | None = None,
    access_lost: bool = False,
) -> Download:
    now = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
    return Download(
        id=request_id,
        state=state,
        name=name,
        file_name=name,
        period_preset=preset,
        custom_from="",
        custom_to="",
        period_from=dt.date(2026, 9, 1),
        period_to=dt.date(2026, 11, 28),
        select_by="identity",
        selector="33127845W",
        bill_count=6,
        total_cents=1234,
        done=0,
        size_bytes=size,
        error="",
        created_at=now,
        requested_at=now,
        ready_at=ready_at,
        expires_at=None,
        access_lost=access_lost,
    )


def test_only_changes_are_announced() -> None:
    before = [download(1, "queued", "a.zip"), download(2, "preparing", "b.zip")]
    seen = state_signature(before)
    assert seen == "1:queued,2:preparing"
    assert changes_since(before, seen) == ""
    after = [download(1, "preparing", "a.zip"), download(2, "ready", "b.zip"), download(3, "queued", "c.zip")]
    assert changes_since(after, seen) == "a.zip: preparing. b.zip: ready."
    assert changes_since(after, "garbage,,:") == ""


def test_a_request_whose_bills_the_owner_no_longer_sees_is_no_longer_available() -> None:
    """Whatever its state: nothing to wait for (no polling), download or try again."""
    before = [download(1, "ready", "a.zip"), download(2, "queued", "b.zip")]
    after = [
        download(1, "ready", "a.zip", access_lost=True),
        download(2, "queued", "b.zip", access_lost=True),
    ]
    assert [d.shown_state for d in after] == ["unavailable", "unavailable"]
    assert after[0].state_label == "No longer available" and not after[1].in_progress
    assert (
        changes_since(after, state_signature(before))
        == "a.zip: no longer available. b.zip: no longer available."
    )


def test_sizes_and_labels() -> None:
    assert download(1, "ready", size=1_500).size_label == "2 kB"
    # Numbers as Babel writes them in Spain, in English too (as every number and amount of the portal).
    assert download(1, "ready", size=37_816_126).size_label == "37,8 MB"
    assert download(1, "ready", size=1_000_000).size_label == "1,0 MB"
    assert download(1, "failed").state_label == "Failed"
    assert download(1, "queued").in_progress and not download(1, "expired").in_progress


def test_labels_in_spanish() -> None:
    with i18n.speaking("es"):
        assert download(1, "ready", size=1_234_567).size_label == "1,2 MB"
        assert download(1, "ready", size=999_499).size_label == "999 kB"
        assert download(1, "ready", preset="last_12").period_label == "Últimos 12 meses"
        assert download(1, "ready").state_label == "Lista"
    assert download(1, "ready", preset="last_12").period_label == "Last 12 months"
    # Months chosen by hand: their dates say it all.
    assert download(1, "ready", preset="custom").period_label == ""


def test_ready_says_its_day_when_it_is_not_the_day_requested() -> None:
    """Requested at 12:00 UTC on 28 Nov: ready 23:30 UTC is already 29 Nov in Madrid (TIMEZONE)."""
    requested = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
    assert not download(1, "ready", ready_at=requested + dt.timedelta(hours=10, minutes=59)).ready_another_day
    assert download(1, "ready", ready_at=requested + dt.timedelta(hours=11, minutes=30)).ready_another_day
    assert not download(1, "queued").ready_another_day


def test_content_disposition_keeps_unicode() -> None:
    assert content_disposition("bills.xlsx") == 'attachment; filename="bills.xlsx"'
    assert (
        content_disposition("año.xlsx") == "attachment; filename=\"a_o.xlsx\"; filename*=utf-8''a%C3%B1o.xlsx"
    )
