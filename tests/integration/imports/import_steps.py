"""Running an import in the test's event loop, as `portal import` does, and reading what it wrote."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from portal.db.tables import Account, Bill, Customer, ImportRun
from portal.imports.run import Options, Outcome, run_import
from portal.settings import Settings


@dataclass
class Result:
    outcome: Outcome
    rejections: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return self.outcome.counts.summary()


async def run(data: bytes, settings: Settings, *, dry_run: bool = False, render: bool = False) -> Result:
    rejections: list[str] = []
    warnings: list[str] = []
    options = Options(
        file_name="test.jsonl",
        by="tester",
        dry_run=dry_run,
        render=render,
        on_reject=lambda rejection: rejections.append(str(rejection)),
        on_warning=lambda line, text: warnings.append(f"line {line}: {text}"),
    )
    outcome = await run_import(io.BytesIO(data), settings, options)
    return Result(outcome, rejections, warnings)


async def snapshot() -> dict[str, Any]:
    """Every row the import may write, to compare before and after."""
    return {
        "customers": await Customer.select().order_by(Customer.id),
        "accounts": await Account.select().order_by(Account.id),
        "bills": await Bill.select().order_by(Bill.id),
    }


async def runs() -> list[dict[str, Any]]:
    return await ImportRun.select().order_by(ImportRun.id)
