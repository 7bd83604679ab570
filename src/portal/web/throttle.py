"""Throttles for anything guessable, and for anything that floods (emails to one address): a key's counted
attempts inside a time window, in the database so that every web process sees the same counts. The named
limits live with the features that use them."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from portal import clock
from portal.db import engine as db_engine
from portal.db import fetch
from portal.db.tables import Attempt


@dataclass(frozen=True)
class Throttle:
    name: str
    limit: int
    window: dt.timedelta
    per_address: bool = False
    """Its subjects are client addresses: an IPv6 one counts as its /64, the block that one subscriber
    holds and may take any address from (one per guess, for free), as an IPv4 address counts alone."""

    def key(self, subject: str) -> str:
        if self.per_address:
            subject = _subscriber(subject)
        return f"{self.name}:{subject.lower()[:150]}"

    async def clear(self, subject: str) -> None:
        await Attempt.delete().where(Attempt.key == self.key(subject))


def from_address(address: str, subject: str) -> str:
    """The subject of a throttle that counts a subject's attempts from one client address: the address as
    per-address throttles count it, first, so that a long subject never pushes it out of the key."""
    return f"{_subscriber(address)}|{subject}"


@dataclass(frozen=True)
class Counted:
    """An attempt, counted under each of its throttles, and the limits it went past."""

    ids: tuple[int, ...]
    over: frozenset[Throttle]

    @property
    def refused(self) -> bool:
        """Past any of its limits."""
        return bool(self.over)

    async def uncount(self) -> None:
        """Take the attempt back out of its counts: it was refused (so waiting is enough, whoever keeps
        trying meanwhile), or it succeeded where only failures count."""
        await Attempt.delete().where(Attempt.id.is_in(list(self.ids)))


async def count_attempt(
    *subjects: tuple[Throttle, str], then: tuple[tuple[Throttle, str], ...] = ()
) -> Counted:
    """Count an attempt first, then decide by the counts that include it: its rows are committed before
    any count is read, so of any number of attempts made at once the later ones see the earlier ones and
    no more than a limit pass it. No lock is held (sign-ins behind one office address are not queued
    behind each other's password checks); attempts at once on the edge of a limit may all be refused.
    `then`: counted only once `subjects` let the attempt through. A count shared by every address goes
    there, so that an address refused by its own limits cannot fill it, however fast it keeps trying."""
    counted = await _count(subjects)
    if then and not counted.refused:
        more = await _count(then)
        counted = Counted(counted.ids + more.ids, counted.over | more.over)
    return counted


async def _count(subjects: tuple[tuple[Throttle, str], ...]) -> Counted:
    # Inside a transaction the rows would stay unseen by the other attempts until it ends.
    assert db_engine().current_transaction.get() is None, "count attempts outside any transaction"
    now = clock.now()
    keys = list(dict.fromkeys(throttle.key(subject) for throttle, subject in subjects))
    rows = await Attempt.insert(*(Attempt(key=key, at=now) for key in keys)).returning(Attempt.id)
    counts = await fetch(
        "SELECT (SELECT count(*) FROM attempt WHERE attempt.key = counted.key AND attempt.at > counted.since)"
        " AS attempts FROM unnest({}::text[], {}::timestamptz[]) WITH ORDINALITY AS counted(key, since, n)"
        " ORDER BY n",
        [throttle.key(subject) for throttle, subject in subjects],
        [now - throttle.window for throttle, _subject in subjects],
    )
    over = {
        throttle
        for (throttle, _subject), row in zip(subjects, counts, strict=True)
        if row["attempts"] > throttle.limit
    }
    return Counted(tuple(row["id"] for row in rows), frozenset(over))


def _subscriber(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # not an address (a Unix socket's client): counted as given
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # a dual-stack socket's IPv4 client: that IPv4 address, alone
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


async def purge_attempts(older_than: dt.timedelta = dt.timedelta(days=1)) -> None:
    await Attempt.delete().where(Attempt.at < clock.now() - older_than)
