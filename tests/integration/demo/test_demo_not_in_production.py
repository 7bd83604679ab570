"""The demo's users have their passwords in the README: no command puts the demo (nor scale data) into a
production database."""

from __future__ import annotations

import dataclasses

import pytest

from portal.cli import _prepare
from portal.db.tables import Bill, Customer, User
from portal.settings import Settings
from tests.processes import PRODUCTION, run_portal


@pytest.mark.parametrize("arguments", [["demo"], ["demo", "--bills", "50"]])
async def test_portal_demo_refuses_production(db: None, arguments: list[str]) -> None:
    result = run_portal(*arguments, **PRODUCTION)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == "portal: Test data is for development and tests: not in production"
    assert await Customer.count() == 0 and await Bill.count() == 0 and await User.count() == 0


async def test_portal_run_loads_no_demo_in_production(db: None, settings: Settings) -> None:
    assert await _prepare(dataclasses.replace(settings, environment="production"), load_demo=True) is None
    assert await Customer.count() == 0 and await User.count() == 0
