"""Throttles for anything guessable: a key's counted attempts inside a time window, in the database so
that every web process sees the same counts. The named limits live with the features that use them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal import clock
from portal.db.tables import Attempt


@dataclass(frozen=True)
class Throttle:
    name: str
    limit: int
    window: dt.timedelta

    def key(self, subject: str) -> str:
        return f"{self.name}:{subject.lower()[:150]}"

    async def blocked(self, subject: str) -> bool:
        since = clock.now() - self.window
        count = await Attempt.count().where((Attempt.key == self.key(subject)) & (Attempt.at > since))
        return count >= self.limit

    async def hit(self, subject: str) -> None:
        await Attempt.insert(Attempt(key=self.key(subject), at=clock.now()))

    async def clear(self, subject: str) -> None:
        await Attempt.delete().where(Attempt.key == self.key(subject))


async def purge_attempts(older_than: dt.timedelta = dt.timedelta(days=1)) -> None:
    await Attempt.delete().where(Attempt.at < clock.now() - older_than)
