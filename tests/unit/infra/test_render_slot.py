"""Every PDF render takes its process's render slot (portal.infra.pdf): one WeasyPrint render at a time per
process, whatever made it (a bill page, a bills-due document, a receipt, a download batch)."""

from __future__ import annotations

import asyncio
import threading
import time

from portal.infra.pdf import render, render_slot


class Drawing:
    """A stand-in for a synchronous render that notes how many run at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, name: str) -> str:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)  # long enough for threads started together to overlap if nothing stops them
        with self.lock:
            self.running -= 1
        return name


async def test_renders_of_one_process_take_turns() -> None:
    draw = Drawing()
    names = await asyncio.gather(*(render(draw, f"pdf {n}") for n in range(4)))
    assert names == ["pdf 0", "pdf 1", "pdf 2", "pdf 3"]
    assert draw.most == 1


async def test_a_batch_holding_the_slot_renders_inside_it() -> None:
    draw = Drawing()

    async def batch() -> list[str]:
        async with render_slot():
            return [await render(draw, "a"), await render(draw, "b")]

    # A batch would wait for itself forever if the slot were not re-entrant for its holder.
    assert await asyncio.wait_for(batch(), timeout=30) == ["a", "b"]
