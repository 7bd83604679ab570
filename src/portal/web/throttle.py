"""Throttles for anything guessable: a key's counted attempts inside a time window, in the database so
that every web process sees the same counts. The named limits live with the features that use them."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from portal import clock
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

    async def blocked(self, subject: str) -> bool:
        since = clock.now() - self.window
        count = await Attempt.count().where((Attempt.key == self.key(subject)) & (Attempt.at > since))
        return count >= self.limit

    async def hit(self, subject: str) -> None:
        await Attempt.insert(Attempt(key=self.key(subject), at=clock.now()))

    async def clear(self, subject: str) -> None:
        await Attempt.delete().where(Attempt.key == self.key(subject))


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
