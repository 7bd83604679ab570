"""What sending an email needs, in one value that services take: the templates, the queue and the base
address of the links. The messages themselves are stored and delivered by `portal.notifications.outbox`."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment
from saq import Queue

from portal.settings import Settings


@dataclass(frozen=True)
class Mailer:
    """What sending an email needs: the templates, the queue and the links' base address."""

    env: Environment
    queue: Queue
    settings: Settings

    def link(self, path: str) -> str:
        return f"{self.settings.web.base_url}{path}"
